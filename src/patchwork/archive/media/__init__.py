"""What ``/media`` serves: the storage layout of every file kind, the allow-lists, captions.

``layout`` is the one place that knows a file's key; ``objects`` finds the stored object a
media route serves; ``captions_vtt`` and ``captions_srv3`` convert captions on the fly.
Decisions: 0106 (media allow-lists), 0109 (the frontend's URL shapes), 0702 (captions
converted on the fly).
"""
