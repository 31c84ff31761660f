"""Turning downloads into archived videos: metadata, targets, files, folder imports.

``info_json`` parses yt-dlp's metadata into rows, ``targets`` normalises a URL to what it
points at, ``video_files`` is the one writer of a video's files (import, completion and the
legacy copy all use it), ``folders`` is ``patchwork import``. Decisions: 0005 (import stores
files before rows), 0007 (one writer of video files), 0108 (hostile input).
"""
