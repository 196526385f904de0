"""gunicorn's settings (read from the working directory: the image's /app, or the checkout).

The access log names the path without its query string (`%(U)s`, not `%(r)s`): LightSync's own
log handler masks secrets, but gunicorn writes this line itself, and the OAuth callback carries
the authorization `code` and `state` in its query (and admin searches carry what people typed).
"""

accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
