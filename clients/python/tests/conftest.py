"""Fixtures: the gateways test/clients/python-client.test.ts started for real
(two gateways over one nats-server, with a server API key to publish and an
HS256 secret for tokens), passed in the environment.

Run by `npm test` (that Node test file spawns pytest); by hand, start such
gateways and set ODIN_WS_A, ODIN_WS_B, ODIN_HTTP_A, ODIN_HTTP_B, ODIN_API_KEY,
ODIN_JWT_SECRET (and ODIN_GATEWAY_A_PID for the failover test)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


@dataclass
class Gateways:
    ws_a: str
    ws_b: str
    http_a: str
    http_b: str
    api_key: str
    jwt_secret: str
    pid_a: Optional[int]

    def publish(self, channel: str, data: Any, http: Optional[str] = None) -> Dict[str, Any]:
        """Publishes through a gateway's server API; returns the position ({seq, epoch})."""
        body = json.dumps({"channel": channel, "data": data}).encode()
        request = urllib.request.Request(f"{http or self.http_b}/api/publish", data=body, method="POST", headers={"authorization": f"Bearer {self.api_key}", "content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as res:
            return json.loads(res.read())["position"]  # type: ignore[no-any-return]

    def publish_many(self, channel: str, count: int, start: int = 0) -> List[Dict[str, Any]]:
        return [self.publish(channel, {"type": "price:update", "price": start + i}) for i in range(count)]

    def token(self, sub: str, ttl: float) -> str:
        """An HS256 JWT for `sub` expiring in `ttl` seconds."""
        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64(json.dumps({"sub": sub, "exp": int(time.time() + ttl), "iat": int(time.time())}).encode())
        signature = hmac.new(self.jwt_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64(signature)}"


@pytest.fixture(scope="session")
def gateways() -> Gateways:
    env = os.environ
    missing = [k for k in ("ODIN_WS_A", "ODIN_WS_B", "ODIN_HTTP_A", "ODIN_HTTP_B", "ODIN_API_KEY", "ODIN_JWT_SECRET") if k not in env]
    if missing:
        pytest.fail(f"gateways not given ({', '.join(missing)}): run through `node scripts/run-tests.mjs python-client` (npm test)")
    pid = env.get("ODIN_GATEWAY_A_PID")
    return Gateways(env["ODIN_WS_A"], env["ODIN_WS_B"], env["ODIN_HTTP_A"], env["ODIN_HTTP_B"], env["ODIN_API_KEY"], env["ODIN_JWT_SECRET"], int(pid) if pid else None)
