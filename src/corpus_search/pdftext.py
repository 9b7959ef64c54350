"""PDF: the text layer, one string per page, extracted by pdfminer.six in a bounded child process.

Why a child process: pdfminer inflates a stream whole (zlib.decompress), so a small file can ask for
gigabytes, and a malformed page can keep it busy for minutes; neither can be stopped from inside. The
child is forked (it shares the file's bytes and the imported pdfminer), caps its own address space at
what it holds plus MEMORY_BYTES (RLIMIT_AS, where /proc tells what it holds: Linux), and sends each page
as it is done; the parent waits at most PAGE_SECONDS for each page (opening the file counts as one) and
kills the child past that. The child also ends itself (an alarm) if its parent is killed first. A file
of more than MAX_PAGES pages is not read. Without fork (Windows) the extraction runs in this process,
bounded by MAX_PAGES only.

A page's text is what pdfminer's layout analysis finds on it (LAParams, text inside figures included),
in its reading order, with its whitespace and line breaks collapsed to single spaces. Characters that a
font maps to no Unicode come out as `(cid:NNN)`: a file where they are more than one character in ten,
or that has no text at all, has no usable text layer and is refused (NO_TEXT_LAYER); fewer are replaced
by U+FFFD and counted. A file that needs a password is refused; one encrypted with an empty user
password (it opens in any viewer without one) is read.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import CorpusSearchError

PAGE_SECONDS = 30.0  # wall-clock seconds for one page; a normal page takes well under one
MEMORY_BYTES = 1 << 30  # address space the extraction may add to what the process holds
MAX_PAGES = 10_000  # the thickest printed books have a few thousand
NO_TEXT_LAYER = "no usable text layer; OCR it first"
_CID = re.compile(r"\(cid:\d+\)")
_MOST_UNMAPPED = 0.1  # share of characters without Unicode above which the text layer is garbage


@dataclass(frozen=True, slots=True)
class PdfText:
    """The text of each page, and how many characters without a Unicode mapping became U+FFFD."""

    pages: list[str]
    unmapped: int = 0


def pdf_text(data: bytes) -> PdfText:
    """The text of each page of a PDF; CorpusSearchError with the reason when it cannot be had."""
    import pdfminer.high_level  # noqa: F401  imported here once, before the fork, so no child imports it

    pages = _pages_in_child(data) if hasattr(os, "fork") else list(_extract(data))
    unmapped = sum(len(_CID.findall(page)) for page in pages)
    characters = sum(len(_CID.sub("", page).replace(" ", "")) for page in pages)
    if characters + unmapped == 0 or unmapped > _MOST_UNMAPPED * (characters + unmapped):
        raise CorpusSearchError(NO_TEXT_LAYER)
    return PdfText([_CID.sub("\ufffd", page) for page in pages] if unmapped else pages, unmapped)


def _extract(data: bytes) -> Iterator[str]:
    """The text of each page in turn, read by pdfminer."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        for number, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams(all_texts=True)), 1):
            if number > MAX_PAGES:
                raise CorpusSearchError(f"it has more than {MAX_PAGES:,} pages")
            yield _page_text(page)
    except CorpusSearchError:
        raise
    except PDFPasswordIncorrect:
        raise CorpusSearchError("it is encrypted and needs a password") from None
    except PDFEncryptionError as error:
        raise CorpusSearchError(f"its encryption cannot be read ({error})") from None
    except MemoryError:
        raise CorpusSearchError(f"extracting it needs more than {MEMORY_BYTES >> 20:,} MB of memory") from None
    except Exception as error:  # pdfminer raises many kinds (PSSyntaxError, PDFSyntaxError, TypeError…)
        raise CorpusSearchError(f"not a readable PDF ({type(error).__name__})") from None


def _page_text(page) -> str:
    """The text boxes of a page (and of the figures on it) in layout order, whitespace collapsed."""
    from pdfminer.layout import LTContainer, LTTextContainer

    pieces: list[str] = []
    waiting = [page]
    while waiting:
        item = waiting.pop()
        if isinstance(item, LTTextContainer):
            pieces.append(item.get_text())
        elif isinstance(item, LTContainer):
            waiting.extend(reversed(list(item)))
    return " ".join(" ".join(pieces).split())


def _pages_in_child(data: bytes) -> list[str]:
    """Run _extract in a forked child that sends each page through a pipe; see the module docstring."""
    from multiprocessing.connection import Pipe

    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        _child(data, reader, writer)  # never returns
    writer.close()
    pages: list[str] = []
    status: int | None = None
    try:
        while True:
            if not reader.poll(PAGE_SECONDS):
                raise CorpusSearchError(f"page {len(pages) + 1} took more than {PAGE_SECONDS:g} s to extract")
            try:
                kind, value = reader.recv()
            except EOFError:
                status = os.waitpid(pid, 0)[1]
                raise CorpusSearchError(f"its extraction ended without an answer ({_ending(status)})") from None
            if kind == "page":
                pages.append(value)
            elif kind == "error":
                raise CorpusSearchError(value)
            else:
                return pages
    finally:
        reader.close()
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _child(data: bytes, reader, writer) -> None:
    """The child's whole life: extract, send each page or the reason it failed, and exit at once."""
    code = 0
    try:
        reader.close()
        _close_other_files(writer.fileno())
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        import logging

        logging.disable(logging.CRITICAL)  # pdfminer logs a warning for every oddity of a file
        _limit_memory()
        signal.setitimer(signal.ITIMER_REAL, 2 * PAGE_SECONDS + 1)  # SIGALRM ends a child left alone
        try:
            for page in _extract(data):
                writer.send(("page", page))
                signal.setitimer(signal.ITIMER_REAL, 2 * PAGE_SECONDS + 1)
        except CorpusSearchError as error:
            writer.send(("error", str(error)))
        else:
            writer.send(("done", None))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _close_other_files(keep: int) -> None:
    """Close every inherited descriptor but stdio and `keep`, so that no lock file (the index's write
    lock) stays open in a child that outlives its parent."""
    top = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024
    os.closerange(3, keep)
    os.closerange(keep + 1, max(top, keep + 1))


def _limit_memory() -> None:
    """Cap the address space at what the process holds now plus MEMORY_BYTES (Linux only)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = held + MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(held + MEMORY_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _ending(status: int) -> str:
    """How a child ended, in words."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"
