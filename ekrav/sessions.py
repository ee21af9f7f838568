"""Sessions in the database, read through the cache (Redis in production): a page reads its
session from the cache, not with a query.

Django's ``cached_db`` store, made to survive the cache being away (Redis restarting, say),
as the database-only sessions before it did: Django already falls back to the database when
the cache cannot be read and logs a failed write, but it lets a failure escape when it checks
that a new session's key is unused (every login), when it puts a session it just read from the
database back into the cache, and when it deletes one at logout.
Here those are logged too, and the request goes on from the database. A session deleted while
the cache was away may linger there until the cache comes back empty or the entry expires
(``SESSION_COOKIE_AGE``); the database no longer has it.
"""

import logging

from django.contrib.sessions.backends import cached_db, db

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # as Django's own: a cache that cannot answer is a miss
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data,
                            self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            log.warning("session read from the database; the cache did not take it back",
                        exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if self.cache_key_prefix + session_key in self._cache:
                return True
        except Exception:  # not known to the cache: the database says
            pass
        return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        key = session_key or self.session_key
        # The database first (Django's order): the session is gone whatever the cache does.
        db.SessionStore.delete(self, session_key)
        if key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception:
            log.warning("session deleted from the database; the cache could not delete it",
                        exc_info=True)
