"""The bundled demo news site: a generated site in the style of azeridaily.com.

`generate_site` writes it (with a manifest of every article's true fields) and
`demosite.server` serves it on 127.0.0.1, so the crawler can be tested and measured
against real pages without touching the network. The server is not imported here: it
brings in Twisted, which a caller that only generates does not need.
"""

from demosite.generate import generate_site

__all__ = ["generate_site"]
