"""Charts drawn on the server as small inline SVG: no script, no chart library, no style attribute.

Every chart has a `<title>` and a `<desc>` (role="img", named by them), draws in a 320-unit-wide
`viewBox` so that it fills a 360 px phone and scales on larger screens, and carries its meaning
in words and numbers, never in colour alone: each bar has its count written on it and each row
its name. Colours come from CSS classes (`chart__…` in static/css/app.css), so dark mode and
print restyle them. Pages put the same figures in a table beside each chart.

In a right-to-left language (`rtl`) a chart is drawn mirrored, as a reader of it expects: names at
the right, time running from right to left, the first week at the right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from markupsafe import Markup, escape

WIDTH = 320
LABEL_SIZE = 14  # the names of rows, in viewBox units (about px on a phone)
SMALL_SIZE = 12  # counts and week labels
BAR_AREA = 44  # the tallest bar
WORD_COLUMN = 104  # room for the word axis ("A bit wobbly", "Quite a lot")
WORD_ROW = 28
MIN_LABELLED_STEP = 15  # a count or a date is written only where its column is at least this wide


class BarRow(Protocol):
    """One named row of a weekly bar chart (services.progress.WeeklyCounts): a count per week."""

    @property
    def label(self) -> str: ...

    @property
    def counts(self) -> Sequence[int]: ...


def _number(value: float) -> str:
    """A coordinate, short: 12, 12.5 (bytes matter on a cheap phone)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Page:
    """Where things go across the chart: left to right, or mirrored for a right-to-left language."""

    def __init__(self, rtl: bool) -> None:
        self.rtl = rtl

    def x(self, x: float) -> float:
        return WIDTH - x if self.rtl else x

    def box(self, x: float, width: float) -> float:
        """The left edge of a box that starts `x` from the reading start and is `width` wide."""
        return WIDTH - x - width if self.rtl else x


def _svg(chart_id: str, title: str, description: str, height: float, body: list[str], *, rtl: bool) -> Markup:
    direction = ' direction="rtl"' if rtl else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart"{direction} viewBox="0 0 {WIDTH} {_number(height)}" '
        f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" id="{chart_id}">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, words: str, css: str, anchor: str = "start") -> str:
    """Words at (x, y); "start" is the reading start, the right end in a right-to-left chart (the
    SVG carries its direction)."""
    anchor_attribute = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text class="{css}" x="{_number(x)}" y="{_number(y)}"{anchor_attribute}>{escape(words)}</text>'


LABEL_ROOM = 34  # a short date ("24 Nov") is about this wide


def _labelled_columns(count: int, step: float) -> list[int]:
    """Which columns get their date written: evenly spaced so that none overlap, the first and
    the last always (the last in place of its neighbour when there is no room for both)."""
    every = 1
    while step * every < LABEL_ROOM:
        every += 1
    shown = list(range(0, count, every))
    last = count - 1
    if shown and shown[-1] != last:
        if (last - shown[-1]) * step < LABEL_ROOM and len(shown) > 1:
            shown[-1] = last
        elif (last - shown[-1]) * step >= LABEL_ROOM:
            shown.append(last)
    return shown


def _column_labels(page: _Page, labels: Sequence[str], left: float, step: float, y: float) -> list[str]:
    return [_text(page.x(left + step * (index + 0.5)), y, labels[index], "chart__tick", "middle")
            for index in _labelled_columns(len(labels), step)]


def weekly_bars(chart_id: str, title: str, description: str, week_labels: Sequence[str],
                rows: Sequence[BarRow], *, rtl: bool = False) -> Markup:
    """Small multiples: for each row (a kind, who was there) its name, then one bar per week with
    the count written above it; a week with none is a short grey mark and a 0. One scale for all
    rows, so that rows can be compared; the weeks' dates run along the bottom."""
    page = _Page(rtl)
    weeks = len(week_labels)
    step = WIDTH / max(weeks, 1)
    tallest = max((count for row in rows for count in row.counts), default=0) or 1
    labelled = step >= MIN_LABELLED_STEP
    bar_width = max(step * 0.6, 1)
    body: list[str] = []
    y = 0.0
    for row in rows:
        y += LABEL_SIZE + 2
        body.append(_text(page.x(0), y, row.label, "chart__label"))
        base = y + (SMALL_SIZE + 8 if labelled else 6) + BAR_AREA
        bars = []
        for index, count in enumerate(row.counts):
            x = page.box(step * index + (step - bar_width) / 2, bar_width)
            if count:
                height = BAR_AREA * count / tallest
                bars.append(f'<rect class="chart__bar" x="{_number(x)}" y="{_number(base - height)}" '
                            f'width="{_number(bar_width)}" height="{_number(height)}"/>')
            else:
                bars.append(f'<rect class="chart__zero" x="{_number(x)}" y="{_number(base - 2)}" '
                            f'width="{_number(bar_width)}" height="2"/>')
            if labelled:
                top = base - (BAR_AREA * count / tallest if count else 2) - 3
                bars.append(_text(x + bar_width / 2, top, str(count), "chart__count", "middle"))
        body.append(f'<g class="chart__row">{"".join(bars)}</g>')
        body.append(f'<line class="chart__axis" x1="0" x2="{WIDTH}" y1="{_number(base)}" y2="{_number(base)}"/>')
        y = base + 10
    y += SMALL_SIZE + 2
    body.extend(_column_labels(page, week_labels, 0, step, y))
    return _svg(chart_id, title, description, y + 4, body, rtl=rtl)


def word_dots(chart_id: str, title: str, description: str, column_labels: Sequence[str],
              words: Sequence[str], cells: Mapping[tuple[int, int], int], *, joined: bool = False,
              rtl: bool = False) -> Markup:
    """A chart of words over time: the words (first at the top) down the side, time across, and a
    dot where a word was chosen in that column, with how many times written in it when more than
    once. `cells` maps (column, word index) to a count; `joined` draws a line from dot to dot (a
    series of single answers, such as a carer's check-ins)."""
    page = _Page(rtl)
    columns = len(column_labels)
    step = (WIDTH - WORD_COLUMN) / max(columns, 1)
    radius = max(min(step * 0.35, 10), 2)
    body: list[str] = []
    for index, word in enumerate(words):
        y = WORD_ROW * (index + 0.5) + 4
        body.append(_text(page.x(0), y + 4, word, "chart__label"))
        body.append(f'<line class="chart__grid" x1="{_number(page.x(WORD_COLUMN - 4))}" x2="{_number(page.x(WIDTH))}" '
                    f'y1="{_number(y)}" y2="{_number(y)}"/>')
    centres = {
        (column, word): (page.x(WORD_COLUMN + step * (column + 0.5)), WORD_ROW * (word + 0.5) + 4)
        for (column, word), count in cells.items() if count
    }
    if joined and len(centres) > 1:
        points = " ".join(f"{_number(x)},{_number(y)}" for _key, (x, y) in sorted(centres.items()))
        body.append(f'<polyline class="chart__line" points="{points}"/>')
    for (column, row), (x, y) in sorted(centres.items()):
        count = cells[(column, row)]
        body.append(f'<circle class="chart__dot" cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}"/>')
        if count > 1 and radius >= 7:
            body.append(_text(x, y + 4, str(count), "chart__dot-count", "middle"))
    bottom = WORD_ROW * len(words) + 4
    body.append(f'<line class="chart__axis" x1="{_number(page.x(WORD_COLUMN - 4))}" x2="{_number(page.x(WIDTH))}" '
                f'y1="{bottom}" y2="{bottom}"/>')
    body.extend(_column_labels(page, column_labels, WORD_COLUMN, step, bottom + SMALL_SIZE + 4))
    return _svg(chart_id, title, description, bottom + SMALL_SIZE + 8, body, rtl=rtl)
