"""Sign-in attempts per client address: on top of account lockout, so one address cannot try
many accounts (password spraying). In memory, per process: a deployment with several processes
gets a limit per process, which still bounds the rate."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class SignInThrottle:
    """At most `attempts` sign-in attempts per client address in any `window`."""

    def __init__(self, attempts: int, window: timedelta) -> None:
        self._attempts = attempts
        self._window = window
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, at: datetime) -> bool:
        """Count an attempt from `client`; False when it is over the limit (not counted)."""
        with self._lock:
            recent = self._seen.setdefault(client, deque())
            while recent and at - recent[0] >= self._window:
                recent.popleft()
            if len(recent) >= self._attempts:
                return False
            recent.append(at)
            if len(self._seen) > 100_000:
                # Forget idle addresses so the table cannot grow without bound.
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]
            return True
