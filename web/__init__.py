"""The HTML adapter: member pages and (later) the admin panel, rendered server-side."""
