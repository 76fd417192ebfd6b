"""Zeroconf advertisement, so Home Assistant discovers the strip without typing an address."""

from __future__ import annotations

import socket
from typing import Any

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

SERVICE_TYPE = "_smartmulti._tcp.local."


def _local_addresses() -> list[bytes]:
    addresses = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the LAN interface
            addresses.add(probe.getsockname()[0])
        except OSError:
            pass
    return [socket.inet_aton(a) for a in sorted(addresses) if not a.startswith("127.")]


class Advertiser:
    def __init__(self) -> None:
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    async def start(self, info: dict[str, Any], port: int) -> None:
        serial = str(info["serial"])
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"SmartMulti {serial}.{SERVICE_TYPE}",
            addresses=_local_addresses(),
            port=port,
            properties={
                "serial": serial,
                "version": str(info["version"]),
                "api": "/api/v1",
                "outlets": str(info["outlets"]),
            },
            server=f"smartmulti-{serial}.local.",
        )
        self._zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only)
        await self._zeroconf.async_register_service(self._info)

    async def stop(self) -> None:
        if self._zeroconf is None:
            return
        if self._info is not None:
            await self._zeroconf.async_unregister_service(self._info)
        await self._zeroconf.async_close()
        self._zeroconf = None
