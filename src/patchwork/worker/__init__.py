"""The reference worker: claims jobs over HTTP, downloads with yt-dlp, uploads through the API.

It needs no database password and no storage credentials: only the server's URL and a worker
token. Install it from a checkout with ``pip install -e '.[worker]'`` and run ``patchwork worker``.
"""
