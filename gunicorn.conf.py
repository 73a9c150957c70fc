"""gunicorn settings; gunicorn reads ./gunicorn.conf.py when started from the checkout."""
import gc


def post_worker_init(worker):
    """Freeze the objects of the loaded application out of the cyclic garbage collector.

    Its full collections otherwise rescan the ~150,000 long-lived objects of Flask, SQLAlchemy and
    marshmallow again and again: a third of the CPU time of creating a booking (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
