"""The `cs` command: parse options, call the API, choose a printer, map errors to exit codes.

Exit codes are grep's: 0 something matched, 1 nothing did, 2 an error (one line on stderr, `cs: …`).
A reader that goes away (`cs search … | head`) is a normal end, and Ctrl-C exits 130.

(Over 400 lines because Click's decorators spell out every option of seven commands, each with its name,
default and help once, beside the command that uses it; the logic stays in the library.)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback

import click

from .formats import DEFAULT_GLOBS  # no library behind it: formats.py imports its readers when it reads

EXIT_MATCH = 0
EXIT_NO_MATCH = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

DEFAULT_LIMIT = 20
# Words each side that collocates look at, at most: a window of 50 already spans a paragraph or two, and
# the work grows with window × occurrences (`collocates 的 --window 100000` ran for 7 minutes to list
# nothing, every word of each block having become expected).
MAX_WINDOW = 50

index_option = click.option(
    "--index",
    "index_dir",
    envvar="CS_INDEX",
    default="index",
    show_default=True,
    metavar="PATH",
    help="Index directory (or set CS_INDEX).",
)
cluster_option = click.option(
    "--cluster",
    envvar="CS_CLUSTER",
    metavar="ADDRESS",
    help="Run on a Dask cluster: its scheduler, tcp://HOST:8786 or tls://… (or set CS_CLUSTER); see README.",
)
timeout_option = click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="With --cluster: how long to try to reach the scheduler.",
)


class CsGroup(click.Group):
    """Runs a command and turns every way it can end into an exit code and at most one stderr line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from .errors import CorpusSearchError

        debug = "--debug" in (sys.argv[1:] if args is None else args)
        try:
            code = super().main(args, prog_name or "cs", complete_var, standalone_mode=False, **extra)
        except CorpusSearchError as error:
            if debug:
                traceback.print_exc()
            code = _fail(str(error))
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.ClickException as error:
            code = _fail(error.format_message() + _usage_hint(error))
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("cs: interrupted", err=True)
            code = EXIT_INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            code = EXIT_MATCH
        except Exception as error:  # a bug: still one line, unless --debug asks for the traceback
            if debug:
                traceback.print_exc()
            code = _fail(f"internal error: {type(error).__name__}: {error} (run with --debug for details)")
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        sys.exit(code if isinstance(code, int) else EXIT_MATCH)


def _fail(message: str) -> int:
    click.echo("cs: " + " ".join(message.split("\n")).strip(), err=True)
    return EXIT_ERROR


def _usage_hint(error: click.ClickException) -> str:
    context = getattr(error, "ctx", None)
    if context is None:
        return ""
    return f" (see: {context.command_path} --help)"


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@click.group(cls=CsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corpus-search", prog_name="cs")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def cli(debug: bool) -> None:
    """Search Chinese text in either script: as exact as grep, ranked like a search engine."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@index_option
@click.option(
    "--glob",
    "globs",
    multiple=True,
    show_default=" ".join(DEFAULT_GLOBS),
    help="File names to index; may be repeated (case-sensitive; default: all kinds, in any case).",
)
@click.option("--encoding", help="Decode every file with this encoding instead of detecting it.")
@click.option("--follow", is_flag=True, help="Follow symbolic links.")
@click.option("--rebuild", is_flag=True, help="Start the index afresh instead of updating it.")
@click.option(
    "--dict",
    "user_dict",
    metavar="FILE",
    help="jieba user dictionary (word [freq] [tag] a line), stored with the index and kept for later runs.",
)
@click.option("--no-dict", is_flag=True, help="Remove the user dictionary stored with the index.")
@click.option(
    "--metadata",
    "metadata_file",
    metavar="FILE",
    help="Metadata table (CSV or JSON Lines: path, fields), besides metadata.csv beside the files; kept.",
)
@click.option(
    "--text-field",
    metavar="NAME",
    help="The field that holds a record's text in JSON Lines, JSON, CSV, TSV (default: text, content or body); kept.",
)
@click.option(
    "--shards",
    type=int,
    metavar="N",
    help="Split the index by file into N shards (balanced by size); kept. Changing N needs --rebuild.",
)
@cluster_option
@timeout_option
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary on stderr.")
def index(
    paths: tuple[str, ...],
    index_dir: str,
    globs: tuple[str, ...],
    encoding: str | None,
    follow: bool,
    rebuild: bool,
    user_dict: str | None,
    no_dict: bool,
    metadata_file: str | None,
    text_field: str | None,
    shards: int | None,
    cluster: str | None,
    timeout: float,
    quiet: bool,
) -> int:
    """Build or update the index from the files under PATHS (text, Markdown, HTML, DOCX, EPUB, TEI, PDF,
    JSON Lines, JSON, CSV, TSV).

    The index mirrors PATHS: new and changed files are indexed, deleted ones removed, unchanged ones
    skipped. With no PATHS, the paths (and globs) of the last run are indexed again.
    """
    from .errors import CorpusSearchError
    from .shards import last_run

    if user_dict is not None and no_dict:
        raise click.UsageError("--dict and --no-dict exclude each other")
    if user_dict == "":
        raise click.UsageError("--dict needs a file; --no-dict removes the stored dictionary")
    roots = list(paths)
    if not roots:
        roots, remembered = last_run(index_dir)
        globs = globs or tuple(remembered)
    if not roots:
        raise CorpusSearchError("nothing to index — run: cs index DIR")
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CorpusSearchError(f"unknown encoding: {encoding}") from None
    progress = _Progress() if not quiet and sys.stderr.isatty() and not cluster else None
    try:
        report = _build(
            cluster,
            timeout,
            roots,
            index_dir,
            shards=shards,
            globs=globs,
            encoding=encoding,
            follow_links=follow,
            rebuild=rebuild,
            user_dict=user_dict,
            drop_user_dict=no_dict,
            progress=progress,
            metadata_file=metadata_file,
            text_field=text_field,
        )
    except KeyboardInterrupt:
        if progress:
            progress.finish()
        click.echo("cs: interrupted; the index was not changed", err=True)
        return EXIT_INTERRUPTED
    if progress:
        progress.finish()
    for warning in report.warnings:
        click.echo(f"cs: warning: {warning}", err=True)
    if not quiet:
        skipped = f", {report.unreadable} skipped" if report.unreadable else ""
        click.echo(
            f"{report.files} files ({report.added} added, {report.updated} updated, {report.removed} removed, "
            f"{report.unchanged} unchanged{skipped}): indexed {report.chars:,} characters in "
            f"{report.passages:,} passages, {report.seconds:.1f} s → {index_dir}",
            err=True,
        )
    return EXIT_MATCH


def _build(cluster: str | None, timeout: float, roots: list[str], index_dir: str, **options):
    """shards.build here, or on the cluster's workers (cluster.py)."""
    from .shards import build

    if not cluster:
        return build(roots, index_dir, **options)
    from .cluster import build as build_on_cluster
    from .cluster import connect

    with connect(cluster, timeout) as client:
        return build_on_cluster(client, roots, index_dir, **options)


def progress_line(
    files_done: int, files_total: int, bytes_done: int, bytes_total: int, chars: int, elapsed: float
) -> str:
    """`indexing 12/62 files, 1,234,567 characters, 38 %, about 9 s left` (time left from bytes read)."""
    share = bytes_done / bytes_total if bytes_total else 1.0
    left = elapsed * (1 - share) / share if share else 0.0
    return f"indexing {files_done}/{files_total} files, {chars:,} characters, {share:.0%}, about {left:.0f} s left"


class _Progress:
    """A one-line progress report on a terminal's stderr: files, characters, and time left."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, files_done: int, files_total: int, bytes_done: int, bytes_total: int, chars: int) -> None:
        click.echo(
            "\r" + progress_line(files_done, files_total, bytes_done, bytes_total, chars, self.elapsed()) + "\x1b[K",
            err=True,
            nl=False,
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finish(self) -> None:
        click.echo("\r\x1b[K", err=True, nl=False)


def query_command(function):
    """The arguments and options every query command shares: QUERY, --index, how terms match, which
    files, the output form and --explain."""
    options = [
        click.argument("query", nargs=-1, required=True),
        index_option,
        click.option(
            "--words", "-w", "whole_words", is_flag=True, help="Match only whole words (jieba's segmentation)."
        ),
        click.option("--exact-script", is_flag=True, help="No variant folding: match after OpenCC t2s only."),
        click.option(
            "--ignore-punct", is_flag=True, help="Ignore punctuation and symbols, in the query and in the text."
        ),
        click.option(
            "--path",
            "paths",
            multiple=True,
            metavar="GLOB",
            help="Only files whose path (a glob with /) or name (without) matches; may be repeated.",
        ),
        click.option(
            "--where",
            multiple=True,
            metavar="EXPR",
            help="Only files whose metadata satisfy FIELD OP VALUE (= != < <= > >= ~glob); repeated: all hold.",
        ),
        click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per line of output."),
        click.option("--csv", "as_csv", is_flag=True, help="CSV (RFC 4180, UTF-8) with a header row."),
        click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM, so Excel reads the Chinese (implies --csv)."),
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help="Colour the output.",
        ),
        click.option("--explain", is_flag=True, help="Print the parsed query on stderr before searching."),
        cluster_option,
        timeout_option,
    ]
    for option in reversed(options):
        function = option(function)
    return cli.command(context_settings={"ignore_unknown_options": True})(function)


@contextlib.contextmanager
def _answers(
    query: tuple[str, ...],
    index_dir: str,
    whole_words: bool,
    exact_script: bool,
    ignore_punct: bool,
    paths: tuple[str, ...],
    where: tuple[str, ...],
    explain: bool,
    cluster: str | None,
    timeout: float,
    **_output,
):
    """Parse the query (a leading `-term` is a negation, `--name` an unknown option), open the index
    and run it; yields its Answers (answers.py) while the index is open, or the answers of the shards
    on a cluster (cluster.py) with --cluster. Takes the options of query_command."""
    from .answers import Answers
    from .metadata import parse_condition
    from .query import explain as explained
    from .query import parse, without_punctuation
    from .search import Searcher

    for word in query:
        if word.startswith("--") and len(word) > 2:
            raise click.NoSuchOption(word.split("=")[0])
    conditions = [parse_condition(expression) for expression in where]
    node = parse(" ".join(query))
    if ignore_punct:
        node = without_punctuation(node)
    if explain:
        click.echo(f"query: {explained(node)}", err=True)
    if cluster:
        from .cluster import ClusterAnswers, Request, connect

        request = Request(" ".join(query), whole_words, exact_script, tuple(paths), ignore_punct, tuple(where))
        with connect(cluster, timeout) as client, _reader_may_leave():
            yield ClusterAnswers(client, index_dir, request)
        return
    with Searcher(index_dir) as searcher, _reader_may_leave():
        yield Answers(searcher.run(node, whole_words, exact_script, paths, ignore_punct, conditions))


def _form(as_json: bool, as_csv: bool, excel: bool, color: str, **_query) -> str:
    """The output form, from query_command's --json, --csv, --excel and --color."""
    if as_json and (as_csv or excel):
        raise click.UsageError("--json and --csv (or --excel) exclude each other")
    if excel or as_csv:
        return "excel" if excel else "csv"
    return "json" if as_json else "color" if _use_color(color) else "plain"


def _fields(form: str, answers) -> dict:
    """The metadata fields a CSV's columns name (every field of the index, in name order)."""
    if form not in ("csv", "excel"):
        return {}
    return {"fields": answers.field_names()}


def _printer(form: str):
    """The module that writes `form`: export.py writes CSV, output.py the rest (same functions)."""
    from . import export, output

    return export if form in export.FORMS else output


@query_command
@click.option(
    "--limit",
    "-n",
    default=DEFAULT_LIMIT,
    show_default=True,
    type=click.IntRange(min=0),
    help="Hits to show; 0 shows all.",
)
@click.option("--count", "-c", "count_only", is_flag=True, help="Print path:count (hits per file) only.")
@click.option("--files-with-matches", "-l", "files_only", is_flag=True, help="Print only the paths of files with hits.")
@click.option(
    "--to", "script", type=click.Choice(["s", "t"]), help="Show passages in simplified (s) or traditional (t) script."
)
@click.option(
    "--context",
    "-C",
    default=0,
    type=click.IntRange(min=0),
    metavar="N",
    help="Show N lines before and after each hit.",
)
def search(
    limit: int,
    count_only: bool,
    files_only: bool,
    script: str | None,
    context: int,
    **query,
) -> int:
    """Search the index; QUERY words are ANDed (see README: "phrases", OR, NOT, -term, parentheses,
    wildcards * and ?, NEAR/n and ADJ/n)."""
    form = _form(**query)
    printer = _printer(form)
    stdout = sys.stdout
    with _answers(**query) as result:
        if count_only:
            printer.write_counts(result.counts(), stdout, form)
        elif files_only:
            printer.write_paths(result.counts(), stdout, form)
        else:
            shown = None if limit == 0 else limit
            hits = result.hits(shown, context)
            if script:
                hits = (_in_script(hit, script) for hit in hits)
            written = printer.write_hits(hits, stdout, form, context > 0, **_fields(form, result))
            if written < result.total:
                stdout.flush()  # the summary comes after the hits, even when both streams are one pipe
                click.echo(f"{written} of {result.total} hits (--limit 0 shows all)", err=True)
        return EXIT_MATCH if result.total else EXIT_NO_MATCH


@query_command
@click.option(
    "--width",
    default=20,
    show_default=True,
    type=click.IntRange(min=1, max=500),
    help="Characters of context each side.",
)
@click.option(
    "--sort",
    type=click.Choice(["path", "left", "right"]),
    default="path",
    show_default=True,
    help="Text order, or by the context just left or right of the match.",
)
@click.option(
    "--limit", "-n", default=0, show_default=True, type=click.IntRange(min=0), help="Lines to show; 0 shows all."
)
def kwic(
    width: int,
    sort: str,
    limit: int,
    **query,
) -> int:
    """A concordance: one line per occurrence, centred, with its context (keyword in context)."""
    form = _form(**query)
    with _answers(**query) as result:
        lines = result.kwic(width, sort, limit or None)
        written = _printer(form).write_kwic(lines, sys.stdout, form, width, **_fields(form, result))
        return EXIT_MATCH if written else EXIT_NO_MATCH


@query_command
@click.option(
    "--sort",
    type=click.Choice(["count", "path"]),
    help="Most occurrences first, or by path (or group). [default: count; with --by: path]",
)
@click.option(
    "--by",
    "field",
    metavar="FIELD",
    help="One row per group (FIELD: file or a metadata field), with its characters and rate per million.",
)
@click.option("--plot", is_flag=True, help="A bar chart of the rate per million per group (--by, default file).")
def count(
    sort: str | None,
    field: str | None,
    plot: bool,
    **query,
) -> int:
    """Occurrences and passages of QUERY per file (or per group of files with --by), and in total."""
    form = _form(**query)
    if plot and form not in ("color", "plain"):
        raise click.UsageError("--plot draws text; it excludes --json and --csv")
    if plot or field is not None:
        return _distribution(field or "file", sort or "path", plot, form, query)
    with _answers(**query) as result:
        files, total = result.file_counts()
        if sort in (None, "count"):
            files.sort(key=lambda found: (-found.occurrences, -found.passages, found.path))
        _printer(form).write_file_counts(files, total, sys.stdout, form)
        return EXIT_MATCH if result.total else EXIT_NO_MATCH


def _distribution(field: str, sort: str, plot: bool, form: str, query: dict) -> int:
    """`cs count --by FIELD`: the groups' counts, rates and characters, as a table, a bar chart, or rows."""
    from .plots import write_group_counts

    with _answers(**query) as result:
        groups, total = result.group_counts(field)
        if sort == "count":
            groups.sort(key=lambda found: (-found.occurrences, -found.passages, found.group))
        write_group_counts(groups, total, field, sys.stdout, form, plot)
        return EXIT_MATCH if total.occurrences else EXIT_NO_MATCH


@query_command
@click.option(
    "--by",
    "field",
    default="file",
    show_default=True,
    metavar="FIELD",
    help="One row per group (file, or a metadata field).",
)
@click.option(
    "--width", default=60, show_default=True, type=click.IntRange(min=1, max=1000), help="Columns of each strip."
)
def plot(field: str, width: int, **query) -> int:
    """A dispersion plot: where QUERY occurs along each file (or group), as AntConc's Concordance Plot."""
    from .plots import write_dispersion

    form = _form(**query)
    with _answers(**query) as result:
        rows = result.dispersion(field)
        write_dispersion(rows, field, sys.stdout, form, width)
        return EXIT_MATCH if any(row.offsets for row in rows) else EXIT_NO_MATCH


@query_command
@click.option(
    "--window", default=5, show_default=True, type=click.IntRange(min=1, max=MAX_WINDOW), help="Words each side."
)
@click.option(
    "--min-count", default=3, show_default=True, type=click.IntRange(min=1), help="Fewest times seen in the windows."
)
@click.option(
    "--sort",
    type=click.Choice(["ll", "mi", "count"]),
    default="ll",
    show_default=True,
    help="Log-likelihood, mutual information, or count.",
)
@click.option(
    "--limit", "-n", default=20, show_default=True, type=click.IntRange(min=0), help="Words to show; 0 shows all."
)
def collocates(
    window: int,
    min_count: int,
    sort: str,
    limit: int,
    **query,
) -> int:
    """Words that occur near QUERY more often than chance, by log-likelihood (see README)."""
    form = _form(**query)
    with _answers(**query) as result:
        found = result.collocates(window, min_count)
        if sort == "mi":
            found.sort(key=lambda row: (-row.mutual_information, row.word))
        elif sort == "count":
            found.sort(key=lambda row: (-row.count, row.word))
        written = _printer(form).write_collocates(found[:limit] if limit else found, sys.stdout, form)
        return EXIT_MATCH if written else EXIT_NO_MATCH


@contextlib.contextmanager
def _reader_may_leave():
    """`cs search … | head`: when the reader goes away, stop quietly (Click would exit 1)."""
    try:
        yield
    except BrokenPipeError:
        _silence_stdout()


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _in_script(hit, script: str):
    """The hit with its passage and match texts converted to the chosen script (offsets unchanged)."""
    from dataclasses import replace

    from .normalize import to_script

    text = to_script(hit.passage.text, script)
    matches = tuple(replace(match, text=text[match.start : match.end]) for match in hit.matches)
    return replace(hit, passage=replace(hit.passage, text=text), matches=matches)


@cli.command()
@index_option
@cluster_option
@timeout_option
def info(index_dir: str, cluster: str | None, timeout: float) -> int:
    """Show what an index holds."""
    from .shards import index_info

    if cluster:
        from .cluster import connect
        from .cluster import info as info_on_cluster

        with connect(cluster, timeout) as client:
            details = info_on_cluster(client, index_dir)
    else:
        details = index_info(index_dir)
    click.echo(f"index:    {details.index_dir}")
    click.echo(f"paths:    {' '.join(details.roots)}")
    click.echo(f"files:    {details.files:,}")
    click.echo(f"chars:    {details.chars:,}")
    click.echo(f"passages: {details.passages:,}")
    click.echo(f"size:     {details.bytes:,} bytes")
    if details.user_dict_words is None:
        click.echo("dict:     none")
    else:
        click.echo(f"dict:     {details.user_dict_words:,} words (sha256 {details.user_dict_sha256[:12]})")
    if details.shards:
        click.echo(f"shards:   {details.shards}")
    from .shards import read_metadata

    found = read_metadata(index_dir)
    records = sum(len(fields) for fields in found.records.values())
    described = f"{len(found.files):,} files" + (f", {records:,} records" if records else "")
    click.echo(f"metadata: {described}, fields {', '.join(found.names())}" if found else "metadata: none")
    return EXIT_MATCH


main = cli
