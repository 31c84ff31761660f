"""The reference worker: claims jobs over HTTP, downloads with yt-dlp, uploads through the API.

It needs no database password and no storage credentials: only the server's URL and a worker
token. Install it with ``pip install 'patchwork[worker]'`` and run ``patchwork worker``.
"""
