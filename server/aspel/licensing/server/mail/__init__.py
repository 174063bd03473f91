"""Email delivery: the outbox worker, its templates, and the SMTP/file transports.

Infrastructure beside the store: it reads and updates `outbox_message` rows
(written by the domain in the transaction of the change that causes them),
renders them from the files in `templates/`, and hands them to a transport.
It may import store and domain, never transport.
"""
