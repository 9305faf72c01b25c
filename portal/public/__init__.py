"""The public site: event list, event pages, in the reader's language."""
