"""gunicorn settings; gunicorn reads ./gunicorn.conf.py when started from the checkout."""
import gc

# The access log shows "[token]" instead of the secret in /vragenlijst/<token> and
# /ical/<token>.ics (request line, path, query and Referer): logeer/log_redaction.py.
logger_class = "logeer.log_redaction.RedactingGunicornLogger"


def post_worker_init(worker):
    """Freeze the objects of the loaded application out of the cyclic garbage collector.

    Its full collections otherwise rescan the ~150,000 long-lived objects of Flask, SQLAlchemy and
    marshmallow again and again: a third of the CPU time of creating a booking (docs/performance.md).
    """
    gc.collect()
    gc.freeze()

# No runtime control socket: gunicorn's default is one path per user (~/.gunicorn/gunicorn.ctl), so a
# second instance on the same machine (scripts/run beside the tests' servers or scripts/bench) would
# take it over from the first. logeer is managed by its process manager, not by gunicornc.
control_socket_disable = True
