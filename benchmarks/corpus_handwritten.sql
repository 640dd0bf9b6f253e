-- The counts of count_corpus, written by hand as one DuckDB query: the
-- benchmark's "best hand-written SQL" yardstick (benchmarks/bench_corpus.py).
-- Placeholders in braces are filled in by corpus_runner.py: {files} is a list
-- of Parquet files, {topic} and {defection} are case-insensitive (?i)
-- patterns for the default term lists, the others the normalisation patterns
-- documented in docs/corpus.md.
WITH topic AS (
    SELECT
        regexp_matches(title, {defection}) AS d,
        CAST(date_trunc('month', timezone('UTC', published)) AS DATE) AS p,
        regexp_replace(url, {url_noise}, '', 'g') AS u,
        regexp_replace(regexp_replace(lower(title), {title_ends}, '', 'g'),
                       {title_separators}, ' ', 'g') AS k
    FROM read_parquet({files})
    WHERE regexp_matches(title, {topic})
),
keyed AS (
    SELECT d, p,
           CASE WHEN p IS NOT NULL THEN nullif(u, '') END AS u,
           CASE WHEN p IS NOT NULL THEN nullif(k, '') END AS k
    FROM topic
),
copies AS (   -- same URL: one copy, dated by its first row
    SELECT min(p) AS p, min(k) AS k, bool_or(d) AS d, count(*) AS n
    FROM keyed WHERE u IS NOT NULL GROUP BY u
    UNION ALL
    SELECT p, k, d, 1 FROM keyed WHERE u IS NULL AND p IS NOT NULL
),
stories AS (  -- same title in the same month: one story
    SELECT p, bool_or(d) AS d, sum(n) AS n FROM copies WHERE k IS NOT NULL GROUP BY p, k
    UNION ALL
    SELECT p, d, n FROM copies WHERE k IS NULL
)
SELECT p AS period,
       count(*) AS n_articles_topic,
       count(*) FILTER (WHERE d) AS n_articles_defection,
       sum(n) - count(*) AS n_duplicates_removed
FROM stories GROUP BY p
UNION ALL
SELECT NULL, count(*), count(*) FILTER (WHERE d), 0 FROM keyed WHERE p IS NULL
ORDER BY period NULLS LAST;
