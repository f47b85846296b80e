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
from synchrony.lib.body_limit import limit_body  # noqa: E402 (needs the settings module)

# Too large a body is refused from its Content-Length, before Django reads it to disk.
application = limit_body(get_asgi_application())
