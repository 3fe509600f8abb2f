"""E-mail as a channel (#13): the mailbox settings, the parser, the IMAP
fetcher and the threading rules. Only `thread` is imported by the store."""
