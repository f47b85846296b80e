from __future__ import annotations

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synchrony.settings")
# WhiteNoise serves static files with a synchronous file iterator, which Django's ASGI
# handler adapts (correctly) while warning on every file; the stream itself is async.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)
application = get_asgi_application()
