"""Outgoing channels: the drivers that hand a message to a gateway (T9).

`driver.ChannelDrivers.from_env()` picks a driver per channel from the
configuration; a channel without a configured gateway gets the record-only
driver, whose messages are kept in the conversation as RECORDED, not sent.
"""
