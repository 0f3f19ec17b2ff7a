"""Jinja2 templates: the built-in ones in notify/templates, overridable file by file.

An organisation puts a template of the same name in `digest.templates_dir` to change the
wording or the look; anything it does not override comes from the package.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2


@lru_cache(maxsize=8)
def environment(templates_dir: str = "") -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.PackageLoader("notify", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # HTML templates escape everything a resident wrote; .txt ones are plain text.
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, templates_dir: str = "", **context: object) -> str:
    return environment(templates_dir).get_template(name).render(**context)
