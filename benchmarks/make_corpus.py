"""Seeded synthetic news archive for the corpus tests and benchmarks.

The archive imitates a news-monitoring export about the Islamic State: stories
are syndicated (one story, several outlets, the same title, sometimes in
capitals), pages are re-crawled (the same URL twice, sometimes with a trailing
slash, ``http`` instead of ``https`` or a ``#fragment``), a few rows have no
date, and attention to the group rises and falls over 2014-2017. About one
title in ten is Arabic. Titles also carry the English verb "is", "crisis",
"fled" and "escaped" in other senses, so that sloppy matching shows.

Usage (writes ``part-00000.parquet``, ... into the folder)::

    python benchmarks/make_corpus.py --rows 10_000_000 --out benchmarks/_data/c10m

In Python (the tests use this)::

    table = generate_chunk(5_000, seed=1)          # one pyarrow.Table
    write_corpus("folder", rows=10_000, seed=1)    # Parquet parts

Columns: ``url`` (string), ``title`` (string), ``text`` (string, only with
``text_words > 0``), ``published`` (timestamp[us, UTC], null for undated rows),
``outlet`` (string). The generator is not part of the package.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

START = np.datetime64("2014-01-01T00:00:00", "us")
N_DAYS = 4 * 365 + 1  # 2014-01-01 .. 2017-12-31

ENGLISH = (
    "army city report new says officials attack forces government local police week "
    "people town iraq syria border talks aid camp water power year leaders group "
    "official minister election plan rebels strike oil price market court school "
    "health refugees village road bridge council media video statement claims "
    "sources family women children men soldiers night morning after before during "
    "over under near north south east west mosul raqqa aleppo baghdad kurdish "
    "turkey jordan coalition air strikes ground control fight battle front line "
    "crisis analysis opinion interview exclusive update live inside how why what "
    "when where who is is is was were has have will could should might fled "
    "escaped from to of in on at with by for and the a"
).split()
ARABIC = (
    "الجيش المدينة تقرير جديد مسؤولون هجوم قوات الحكومة الشرطة أسبوع الناس العراق "
    "سوريا الحدود محادثات مساعدات مخيم الماء عام قادة مجموعة وزير انتخابات خطة "
    "النفط سوق محكمة مدرسة اللاجئين قرية طريق مجلس فيديو بيان مصادر عائلة النساء "
    "الأطفال جنود ليلة صباح بعد قبل الموصل الرقة حلب بغداد تركيا الأردن التحالف "
    "غارات معركة في من إلى على عن مع"
).split()
# How headlines name the group and defection. Most are in the default term
# lists; "IS" is not (as in real archives, such headlines are missed). The
# tests do not use the generator's own labels: they compare the engines with
# each other and with a brute-force reference.
TOPIC_EN = ["ISIS", "ISIL", "Islamic State", "Daesh", "ISIS-held", "anti-ISIS", "IS"]
TOPIC_AR = ["داعش", "تنظيم الدولة", "الدولة الإسلامية", "لداعش"]
DEFECT_EN = [
    "defector",
    "defectors",
    "defected",
    "deserter",
    "deserters",
    "fled ISIS",
    "escaped from ISIS",
    "defectors'",
]
DEFECT_AR = ["منشق", "منشقون", "انشق", "المنشقين", "انشقاق"]
N_OUTLETS = 400


def _attention(days: np.ndarray) -> np.ndarray:
    """Relative daily volume: rises through 2014, peaks late 2015, then falls."""
    t = days / N_DAYS
    return 0.3 + np.exp(-(((t - 0.45) / 0.18) ** 2)) + 0.4 * np.exp(-(((t - 0.8) / 0.08) ** 2))


def _defection_share(days: np.ndarray) -> np.ndarray:
    """Share of topic stories about defection: low, then rising from 2016."""
    t = days / N_DAYS
    return 0.02 + 0.10 / (1 + np.exp(-(t - 0.6) * 15))


def generate_chunk(
    stories: int,
    *,
    seed: int,
    first_story: int = 0,
    title_words: int = 8,
    text_words: int = 0,
    arabic_share: float = 0.1,
    topic_share: float = 0.35,
    recrawl_share: float = 0.03,
    undated_share: float = 0.002,
) -> pa.Table:
    """Return one chunk of the archive: ``stories`` stories and all their copies.

    Story ids start at ``first_story`` so that chunks never share a URL. Rows
    are sorted by publication time within the chunk (undated rows last).
    """
    rng = np.random.default_rng([seed, first_story])
    day_p = _attention(np.arange(N_DAYS))
    day = rng.choice(N_DAYS, size=stories, p=day_p / day_p.sum())
    topic = rng.random(stories) < topic_share
    defect = topic & (rng.random(stories) < _defection_share(day))
    arabic = rng.random(stories) < arabic_share
    # Words are indices into one vocabulary; the topic / defection phrase
    # replaces the word at a random position.
    vocab = [*ENGLISH, *ARABIC, *TOPIC_EN, *TOPIC_AR, *DEFECT_EN, *DEFECT_AR]
    offset = np.cumsum(
        [0, len(ENGLISH), len(ARABIC), len(TOPIC_EN), len(TOPIC_AR), len(DEFECT_EN)]
    )
    words = pa.array(vocab, pa.string())

    def draw(k: int) -> list[np.ndarray]:
        en = rng.integers(0, len(ENGLISH), (k, stories))
        ar = offset[1] + rng.integers(0, len(ARABIC), (k, stories))
        return list(np.where(arabic, ar, en))

    t_idx = np.where(
        arabic,
        offset[3] + rng.integers(0, len(TOPIC_AR), stories),
        offset[2] + rng.integers(0, len(TOPIC_EN), stories),
    )
    d_idx = np.where(
        arabic,
        offset[5] + rng.integers(0, len(DEFECT_AR), stories),
        offset[4] + rng.integers(0, len(DEFECT_EN), stories),
    )
    pos_topic = rng.integers(0, title_words, stories)
    pos_def = (pos_topic + 1 + rng.integers(0, title_words - 1, stories)) % title_words
    # With a lead paragraph, a third of the topic mentions go there instead.
    in_text = topic & (rng.random(stories) < (0.33 if text_words else 0.0))
    cols = draw(title_words)
    for i in range(title_words):
        cols[i] = np.where(topic & ~in_text & (pos_topic == i), t_idx, cols[i])
        cols[i] = np.where(defect & (pos_def == i), d_idx, cols[i])
    title = pc.binary_join_element_wise(*[words.take(c) for c in cols], " ")
    if text_words:
        tcols = draw(text_words)
        tcols[0] = np.where(in_text, t_idx, tcols[0])
        text = pc.binary_join_element_wise(*[words.take(c) for c in tcols], " ")

    # Syndication: 1 + geometric copies (mean about 1.5 rows per story).
    copies = np.minimum(rng.geometric(0.65, stories), 25)
    story = np.repeat(np.arange(stories), copies)
    n = story.size
    first = np.r_[True, story[1:] != story[:-1]]
    seconds = day[story].astype(np.int64) * 86_400 + rng.integers(0, 86_400, stories)[story]
    # copies follow the first within hours (a few cross midnight and month ends)
    lag = np.where(first, 0, rng.exponential(6 * 3600, n).astype(np.int64))
    ts = (seconds + lag) * 1_000_000
    outlet = rng.integers(0, N_OUTLETS, n)
    title_rows = title.take(pa.array(story))
    shout = ~first & (rng.random(n) < 0.1)
    shouted = pc.utf8_upper(title_rows.filter(pa.array(shout)))
    title_rows = pc.replace_with_mask(title_rows, pa.array(shout), shouted)
    ts_arr = pa.array(START.astype(np.int64) + ts, pa.timestamp("us", tz="UTC"))
    month = (START + ts.astype("timedelta64[us]")).astype("datetime64[M]").astype(np.int64)
    labels = np.arange(month.min(), month.max() + 1).astype("datetime64[M]").astype(str)
    ym = pa.array(np.char.replace(labels, "-", "/"), pa.string()).take(month - month.min())
    ids = pc.cast(pa.array(first_story + story), pa.string())
    outlet_name = pc.binary_join_element_wise("outlet", pc.cast(pa.array(outlet), pa.string()), "")
    url = pc.binary_join_element_wise("https://www.", outlet_name, ".example/", ym, "/a", ids, "")
    table = {"url": url, "title": title_rows}
    if text_words:
        table["text"] = text.take(pa.array(story))
    table["published"] = ts_arr
    table["outlet"] = outlet_name
    out = pa.table(table)

    # Re-crawls: the same page again, later, sometimes with a variant URL.
    m = int(n * recrawl_share)
    pick = rng.choice(n, size=m, replace=False)
    again = out.take(pa.array(pick))
    variant = pa.array(rng.integers(0, 4, m))
    u = again["url"].combine_chunks()
    u = pc.if_else(pc.equal(variant, 1), pc.binary_join_element_wise(u, "/", ""), u)
    u = pc.if_else(pc.equal(variant, 2), pc.replace_substring(u, "https://", "http://"), u)
    u = pc.if_else(pc.equal(variant, 3), pc.binary_join_element_wise(u, "#comments", ""), u)
    delay = pa.array(rng.integers(1, 3 * 86_400, m) * 1_000_000, pa.duration("us"))
    later = pc.add(again["published"].combine_chunks(), delay)
    again = again.set_column(0, "url", u)
    again = again.set_column(
        again.schema.get_field_index("published"),
        "published",
        pc.cast(later, pa.timestamp("us", tz="UTC")),
    )
    out = pa.concat_tables([out, again])

    # Undated rows.
    undated = rng.random(out.num_rows) < undated_share
    published = out["published"].combine_chunks()
    published = pc.if_else(pa.array(undated), pa.scalar(None, published.type), published)
    out = out.set_column(out.schema.get_field_index("published"), "published", published)
    return out.sort_by([("published", "ascending")])


def write_corpus(
    folder: str | Path,
    *,
    rows: int,
    seed: int = 1,
    chunk_rows: int = 5_000_000,
    **options: object,
) -> list[Path]:
    """Write about ``rows`` articles as Parquet parts into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows_per_story = 1.586  # mean rows per story (copies and re-crawls), measured
    paths = []
    done_stories = 0
    total_stories = max(1, round(rows / rows_per_story))
    chunk_stories = max(1, round(chunk_rows / rows_per_story))
    part = 0
    while done_stories < total_stories:
        k = min(chunk_stories, total_stories - done_stories)
        table = generate_chunk(k, seed=seed, first_story=done_stories, **options)
        path = folder / f"part-{part:05d}.parquet"
        pq.write_table(table, path, row_group_size=250_000, compression="zstd")
        paths.append(path)
        done_stories += k
        part += 1
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="about this many articles")
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet parts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-rows", type=int, default=5_000_000)
    parser.add_argument("--text-words", type=int, default=0, help="words of lead paragraph")
    args = parser.parse_args()
    t0 = time.perf_counter()
    paths = write_corpus(
        args.out,
        rows=args.rows,
        seed=args.seed,
        chunk_rows=args.chunk_rows,
        text_words=args.text_words,
    )
    n = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{n:,} rows in {len(paths)} files, {size / 1e6:.0f} MB, {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
