"""Calendar files (RFC 5545): pure builders for one event and for the feed, and their views."""
