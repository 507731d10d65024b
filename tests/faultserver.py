"""A news site on 127.0.0.1 that misbehaves on purpose, for the fault-injection tests.

Run as `python -m tests.faultserver --port 0 --log FILE`; it prints its URL once
listening. It speaks HTTP/1.1 from raw asyncio streams (one request per connection), so
it can do what a well-behaved server library will not: reset a connection, send fewer
bytes than it announced, trickle a page a byte at a time, hang.

Every article is `/news/<id>`. FAULTS says what each faulty id does; `attempt` counts the
requests a path has had, so a fault can last for the first attempts and then clear, as a
real outage does. GOOD lists the ids whose page is a real article, reachable in the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import socket
import struct
import time
from collections import Counter
from html import escape
from pathlib import Path

HOST = "127.0.0.1"
PLAIN_GOOD = tuple(range(1, 13))
#: Faulty ids: what the server does, and the fault kinds the crawl must record for it.
FAULTS: dict[int, tuple[str, tuple[str, ...]]] = {
    20: ("503 twice, then the page", ("http_503",)),
    21: ("500, then 502, then the page", ("http_500", "http_502")),
    22: ("429 with Retry-After: 1, then the page", ("http_429",)),
    23: ("connection reset, then the page", ("connection_lost",)),
    24: ("no answer (timeout), then the page", ("timeout",)),
    25: ("never answers", ("timeout", "gave_up")),
    26: ("trickles the page in about a second", ()),
    27: ("trickles a byte at a time, for ever", ("timeout", "gave_up")),
    28: ("truncated body, then the page", ("truncated",)),
    29: ("windows-1251 served as UTF-8", ("charset_mislabelled",)),
    30: ("windows-1251 with no charset anywhere", ("charset_missing",)),
    31: ("redirect loop", ("redirect_loop",)),
    32: ("redirect off the allowed domains", ("redirect_offsite",)),
    33: ("50 MB page with its Content-Length", ("too_large",)),
    34: ("50 MB page streamed without a length", ("too_large",)),
    35: ("gzip bomb: 40 MB of zeros in 40 KB", ("too_large",)),
    36: ("a real 10 MB page (inline data)", ()),
    37: ("a PDF behind an article URL", ("not_html",)),
    38: ("a JPEG behind an article URL", ("not_html",)),
    39: ("503 for ever", ("http_503", "gave_up")),
    40: ("404", ("http_404", "gave_up")),
}
GOOD = (*PLAIN_GOOD, 20, 21, 22, 23, 24, 26, 28, 29, 30, 36)
RUSSIAN_TITLE = "Парламент принял бюджет на следующий год"
HUGE = 50 * 1024 * 1024
HEAVY = 10 * 1024 * 1024 - 64 * 1024
BOMB = 40 * 1024 * 1024
PER_PAGE = 10
ALL_IDS = (*PLAIN_GOOD, *FAULTS)


def title_of(article_id: int) -> str:
    return (
        RUSSIAN_TITLE if article_id in (29, 30) else f"Council report number {article_id} published"
    )


def article_page(article_id: int, padding: str = "") -> str:
    title = title_of(article_id)
    if article_id in (29, 30):
        sentences = [
            f"Депутаты обсуждали документ {article_id} {n} часа, и большинство поддержало его."
            for n in range(8)
        ]
    else:
        sentences = [
            f"The council of district {article_id} met on day {n} and agreed on the plan for"
            f" the coming months, after a long debate about roads and schools."
            for n in range(8)
        ]
    paragraphs = "".join(f"<p>{escape(s)} {escape(s)}</p>\n" for s in sentences)
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title>{padding}</head><body>"
        '<nav><a href="/news/">News</a> <a href="/calendar/2026/11/">Calendar</a></nav>'
        f"<article><h1>{escape(title)}</h1>"
        '<time datetime="2026-11-20T10:00:00+00:00">20 November 2026</time>\n'
        f"{paragraphs}</article></body></html>"
    )


def listing_page(title: str, ids: list[int], next_href: str | None, extra: str = "") -> str:
    items = "".join(f'<li><a href="/news/{i}">{escape(title_of(i))}</a></li>' for i in ids)
    following = f'<a class="next" href="{next_href}">Next</a>' if next_href else ""
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
        f"{extra}<ul>{items}</ul>{following}</body></html>"
    )


def calendar_page(year: int, month: int) -> str:
    """A calendar widget: month after month for ever, each showing the same stories."""
    after = (year + month // 12, month % 12 + 1)
    before = (year - (month == 1), (month - 2) % 12 + 1)
    days = "".join(f'<a href="/calendar/{year}/{month}/{d}/">{d}</a> ' for d in range(1, 29))
    widget = (
        f'<div class="calendar"><a href="/calendar/{before[0]}/{before[1]}/">«</a>{days}'
        f'<a href="/calendar/{after[0]}/{after[1]}/">»</a></div>'
    )
    return listing_page(f"Archive {year}-{month:02d}", list(PLAIN_GOOD[:4]), None, widget)


class FaultSite:
    def __init__(self, log: Path | None) -> None:
        self.log = log
        self.attempts: Counter[str] = Counter()
        self.bomb = gzip.compress(bytes(BOMB), compresslevel=9)
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        start = time.time()
        path: str | None = None
        status = 0
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            self.attempts[path] += 1
            status = await self.respond(path, self.attempts[path], reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            status = -1
        finally:
            # A connection closed before it sent a request (a pooled one) is not logged.
            if self.log is not None and path is not None:
                entry = {"path": path, "status": status, "start": start, "end": time.time()}
                with self.log.open("a", encoding="utf-8") as file:
                    file.write(json.dumps(entry) + "\n")
            if not writer.is_closing():
                writer.close()

    async def respond(
        self, path: str, attempt: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        parts = [p for p in path.split("?")[0].split("/") if p]
        if path == "/robots.txt":
            return await send(writer, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if parts[:1] == ["news"] and (len(parts) == 1 or parts[1] == "page"):
            number = int(parts[2]) if len(parts) > 2 else 1
            ids = list(ALL_IDS[(number - 1) * PER_PAGE : number * PER_PAGE])
            more = number * PER_PAGE < len(ALL_IDS)
            following = f"/news/page/{number + 1}/" if more else None
            return await send_html(writer, listing_page("News", ids, following))
        if parts[:1] == ["forever"]:
            number = int(parts[2]) if len(parts) > 2 else 1
            page = listing_page("Most read", list(PLAIN_GOOD[:5]), f"/forever/page/{number + 1}/")
            return await send_html(writer, page)
        if parts[:1] == ["calendar"] and len(parts) >= 3:
            return await send_html(writer, calendar_page(int(parts[1]), int(parts[2])))
        if parts[:1] == ["loop"]:
            return await redirect(writer, "/news/31")
        if parts[:1] == ["news"] and len(parts) == 2 and parts[1].isdigit():
            return await self.article(int(parts[1]), attempt, reader, writer)
        return await send(writer, 404, b"not found", "text/plain")

    async def article(
        self,
        article_id: int,
        attempt: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> int:
        page = article_page(article_id).encode("utf-8")
        match article_id:
            case 20 if attempt <= 2:
                return await send(writer, 503, b"busy", "text/plain")
            case 21 if attempt <= 2:
                return await send(writer, 500 if attempt == 1 else 502, b"oops", "text/plain")
            case 22 if attempt == 1:
                return await send(writer, 429, b"slow down", "text/plain", {"Retry-After": "1"})
            case 23 if attempt == 1:
                return reset(writer)
            case 24 if attempt == 1:
                return await hang(reader)
            case 25:
                return await hang(reader)
            case 26:
                return await trickle(writer, page, chunks=20, pause=0.05)
            case 27:
                return await trickle(writer, page, chunks=len(page), pause=0.2)
            case 28 if attempt == 1:
                return await truncated(writer, page)
            case 29:
                body = article_page(29).encode("cp1251")
                return await send(writer, 200, body, "text/html; charset=utf-8")
            case 30:
                return await send(writer, 200, article_page(30).encode("cp1251"), "text/html")
            case 31:
                return await redirect(writer, "/loop/31")
            case 32:
                return await redirect(writer, f"http://localhost:{self.port}/news/32")
            case 33:
                return await stream(writer, HUGE, with_length=True)
            case 34:
                return await stream(writer, HUGE, with_length=False)
            case 35:
                headers = {"Content-Encoding": "gzip"}
                return await send(writer, 200, self.bomb, "text/html; charset=utf-8", headers)
            case 36:
                data = "x" * HEAVY
                padding = f'<script>var data = "{data}";</script>'
                return await send_html(writer, article_page(36, padding))
            case 37:
                return await send(
                    writer, 200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" * 200, "application/pdf"
                )
            case 39:
                return await send(writer, 503, b"down", "text/plain", {"Retry-After": "0"})
            case 40:
                return await send(writer, 404, b"gone", "text/plain")
            case 38:
                jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
                return await send(writer, 200, jpeg, "image/jpeg")
        return await send(writer, 200, page, "text/html; charset=utf-8")


def head(status: int, content_type: str, length: int | None, extra: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    extra: dict[str, str] | None = None,
) -> int:
    writer.write(head(status, content_type, len(body), extra or {}) + body)
    await writer.drain()
    return status


async def send_html(writer: asyncio.StreamWriter, page: str) -> int:
    return await send(writer, 200, page.encode("utf-8"), "text/html; charset=utf-8")


async def redirect(writer: asyncio.StreamWriter, location: str) -> int:
    return await send(writer, 302, b"", "text/plain", {"Location": location})


def reset(writer: asyncio.StreamWriter) -> int:
    """Close with a TCP RST instead of a FIN: linger on, with a zero timeout."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    return -2


async def hang(reader: asyncio.StreamReader) -> int:
    """Answer nothing until the client gives up and closes."""
    await reader.read()
    return -3


async def trickle(writer: asyncio.StreamWriter, body: bytes, chunks: int, pause: float) -> int:
    writer.write(head(200, "text/html; charset=utf-8", len(body), {}))
    size = -(-len(body) // chunks)
    for start in range(0, len(body), size):
        writer.write(body[start : start + size])
        await writer.drain()
        await asyncio.sleep(pause)
    return 200


async def truncated(writer: asyncio.StreamWriter, body: bytes) -> int:
    """Announce the whole page, send half, close."""
    writer.write(head(200, "text/html; charset=utf-8", len(body), {}) + body[: len(body) // 2])
    await writer.drain()
    writer.close()
    return -4


async def stream(writer: asyncio.StreamWriter, size: int, *, with_length: bool) -> int:
    """`size` bytes of page, written as the client reads them, never built whole."""
    chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
    if with_length:
        writer.write(head(200, "text/html; charset=utf-8", size, {}))
        sent = 0
        while sent < size:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
        return 200
    writer.write(head(200, "text/html; charset=utf-8", None, {"Transfer-Encoding": "chunked"}))
    for _ in range(size // len(chunk)):
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return 200


async def serve(port: int, log: Path | None) -> None:
    site = FaultSite(log)
    server = await asyncio.start_server(site.handle, HOST, port)
    site.port = server.sockets[0].getsockname()[1]
    print(f"serving faults on http://{HOST}:{site.port}/", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.log))


if __name__ == "__main__":
    main()
