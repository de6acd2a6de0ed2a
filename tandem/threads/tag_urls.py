"""Tag pages live at /tags/<category>/<name>/. A tag name may hold any character, so the
name is written AO3-style: "*" as "*x*", "/" as "*s*", "." as "*d*" ("." and ".." segments
would be folded away by browsers); everything else is percent-encoded by ``reverse``."""

import re

from django.urls import path, register_converter

from tandem.threads import directory_views

_ESCAPES = {"*": "*x*", "/": "*s*", ".": "*d*"}
_UNESCAPE = {code[1]: char for char, code in _ESCAPES.items()}
_ESCAPED = re.compile(r"\*([xsd])\*")


class TagNameConverter:
    # Any text without "/": the escapes above keep a name in one path segment.
    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return _ESCAPED.sub(lambda match: _UNESCAPE[match.group(1)], value)

    def to_url(self, value: str) -> str:
        return "".join(_ESCAPES.get(char, char) for char in value)


register_converter(TagNameConverter, "tagname")

urlpatterns = [
    path("suggest/<str:category>/", directory_views.tag_suggest, name="tag-suggest"),
    path("<str:category>/<tagname:name>/", directory_views.tag_detail, name="tag-detail"),
]
