"""People, departments and queues: the directory file, sign-in sync and substitutes."""
