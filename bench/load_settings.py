"""ekrav's settings for bench/load_test.py's gunicorn: the product's, read from the environment
as ever, with the bench's URLconf (the product's routes plus the baseline view).

ROOT_URLCONF is not read from the environment, and a bench-only route has no place in the
product; this module is imported only when ``DJANGO_SETTINGS_MODULE=load_settings`` and bench/
is on the path (gunicorn's ``--pythonpath bench``).
"""

from ekrav.settings import *  # noqa: F401,F403 - everything as configured, one line changed

ROOT_URLCONF = "load_urls"
