"""Kompetensbot: server and command line.

python bot.py                      serve the Bot Framework endpoint (POST /api/messages)
python bot.py ask "Vad gör Almi?"  one answer (--json, --batch FILE)
python bot.py chat                 a conversation in the terminal
python bot.py index build          build the index (done automatically when missing or stale)
python bot.py eval FILE            dev-set metrics
python bot.py bench                latency numbers
python bot.py teams-package --app-id GUID --domain HOST --version X.Y.Z   the Teams app package (zip)
python bot.py report [--since 30d] --out report.html [--csv DIR]   what is asked, for the content owners
python bot.py knowledge import FILE.pdf|FILE.docx --out PATH   a revised plan into the curated Markdown
python bot.py knowledge diff OLD NEW      what a revised plan changes
python bot.py knowledge check PATH        the release check of a revised plan, before `index build`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

# numpy's BLAS on one thread, set before numpy loads: the engine's products are small (a question against a
# few thousand vectors), and BLAS threads that wait for cores the embedder holds cost a server more than they
# save. Measured with `bot.py bench --load ../shared/eval/dev.jsonl` on 2 cores: at 32 concurrent users 54.5
# -> 75.6 answers/s (0.69 -> 0.98 of the bare embedder), server CPU per answer 35.5 -> 25.2 ms.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from index.config import Config, ConfigError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Config.from_env()
    except ConfigError as error:  # one line that names the setting and what it may be
        print(f"Fel i inställningarna: {error}", file=sys.stderr)
        return 2
    config = settings.with_overrides(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        workers=getattr(args, "workers", None),
        index_dir=getattr(args, "index_dir", None),
        knowledge_path=getattr(args, "knowledge", None),
        embedder=getattr(args, "embedder", None),
    )
    logging.basicConfig(
        level=config.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # start-up chatter, not the bot's
    command = getattr(args, "command", None) or "serve"
    try:
        return COMMANDS[command](config, args)
    except KeyboardInterrupt:
        return 130
    except RuntimeError as error:  # IndexUnavailable, EmbedderError: the message says what to do
        print(f"Fel: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", type=Path, help="var indexet ligger (KOMPETENSBOT_INDEX_DIR)")
    common.add_argument("--knowledge", type=Path, help="den kurerade planen (KOMPETENSBOT_KNOWLEDGE)")
    common.add_argument("--embedder", help="'e5' (standard) eller 'st:<modell>' (KOMPETENSBOT_EMBEDDER)")
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--host", help="adress att lyssna på (HOST, standard 127.0.0.1)")
    server.add_argument("--port", type=int, help="port (PORT, standard 3978)")
    server.add_argument(
        "--workers", type=int, help="processer på porten (KOMPETENSBOT_WORKERS, 1; kräver delat tillstånd)"
    )

    parser = argparse.ArgumentParser(
        prog="kompetensbot", description=__doc__.split("\n")[0], parents=[common, server]
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", parents=[common, server], help="starta servern (standard)")
    ask = sub.add_parser("ask", parents=[common], help="ställ en fråga")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="skriv JSON enligt kontraktet i DESIGN.md")
    ask.add_argument("--batch", type=Path, help="en fråga per rad; ett JSON-objekt per rad ut")
    sub.add_parser("chat", parents=[common], help="samtal i terminalen")
    index = sub.add_parser("index", parents=[common], help="hantera indexet")
    index.add_argument("action", choices=["build", "status"])
    evaluate = sub.add_parser("eval", parents=[common], help="utvärdera mot en fil med frågor")
    evaluate.add_argument("file", type=Path, nargs="?", default=Path("../shared/eval/dev.jsonl"))
    evaluate.add_argument("--failures", action="store_true", help="visa frågorna som missade")
    evaluate.add_argument(
        "--perturb",
        action="store_true",
        help="ställ frågorna även utan å/ä/ö, med stavfel, utan skiljetecken och efter en inledning",
    )
    evaluate.add_argument(
        "--seed",
        type=int,
        help="slumpfrö för --perturb (annars ett nytt för varje körning, som skrivs ut)",
    )
    evaluate.add_argument(
        "--curve",
        action="store_true",
        help="visa avvägningen för svarsgränsen: felaktigt avböjda mot besvarade frågor utanför planen",
    )
    evaluate.add_argument(
        "--ask-back-curve",
        action="store_true",
        help="visa kalibreringen av motfrågan (”Menar du …?”) på korpusen, varje omgång med de andras minne",
    )
    evaluate.add_argument(
        "--scope-curve",
        action="store_true",
        help="anpassa och visa beslutet om frågan gäller planen (poäng och korpusens närmaste frågor), "
        "varje omgång med de andras minne",
    )
    evaluate.add_argument(
        "--corpus-cv",
        action="store_true",
        help="utvärdera på korpusen (knowledge/corpus), varje omgång med de andra omgångarnas minne",
    )
    evaluate.add_argument(
        "--ranker-cv",
        action="store_true",
        help="jämför rankningen av belägg med en inlärd rankare på korpusen (varje omgång utelämnad i tur "
        "och ordning): hur ofta den bästa meningen är en rätt",
    )
    evaluate.add_argument(
        "--dialogs",
        type=Path,
        nargs="*",
        default=_default_dialogs(),
        help="samtal att köra (dev_dialogs.jsonl)",
    )
    bench = sub.add_parser("bench", parents=[common], help="mät svarstider")
    bench.add_argument(
        "file", type=Path, nargs="?", help="frågor, en per rad i JSON (standard: 120 av korpusens frågor)"
    )
    bench.add_argument("--rounds", type=int, default=3)
    bench.add_argument("--no-cold-start", action="store_true")
    bench.add_argument("--load", action="store_true", help="last genom servern: svar/s, svarstid")
    bench.add_argument("--abuse", action="store_true", help="vad missbruk och trasiga kanaler kostar andra")
    bench.add_argument("--requests", type=int, default=320, help="frågor per samtidighetsnivå (--load)")
    bench.add_argument("--workers", type=int, help="serverns processer (--load; som serve --workers)")
    bench.add_argument(
        "--scale", help="bygge, start och svar för planen upprepad så här många gånger, t.ex. 2,4,16"
    )
    teams = sub.add_parser("teams-package", help="bygg Teams-appaketet (zip) ur deploy/teams")
    teams.add_argument("--app-id", help="Azure Bot-resursens Microsoft App ID (standard: MicrosoftAppId)")
    teams.add_argument("--domain", required=True, help="botens värdnamn, utan https:// och sökväg")
    teams.add_argument("--version", required=True, help="appens version, x.y.z; höj för varje uppladdning")
    teams.add_argument("--out", type=Path, default=Path("dist/kompetensbot-teams.zip"), help="zip-filen")
    report = sub.add_parser("report", parents=[common], help="rapport över frågor och tummar (en HTML-fil)")
    report.add_argument("--since", type=_period, default="30d", help="perioden bakåt från nu: 7d, 30d, 12w")
    report.add_argument("--out", type=Path, required=True, help="HTML-filen att skriva")
    report.add_argument("--csv", type=Path, help="skriv även frågorna och tummarna som CSV i den här mappen")
    knowledge = sub.add_parser("knowledge", help="hantera planens kunskapsfil")
    actions = knowledge.add_subparsers(dest="action", required=True)
    importing = actions.add_parser("import", help="gör om en reviderad plan (PDF eller .docx) till Markdown")
    importing.add_argument("file", type=Path, help="planen som PDF eller Word-fil (.docx)")
    importing.add_argument("--out", type=Path, required=True, help="Markdown-filen att skriva")
    diff = actions.add_parser("diff", help="vad en reviderad plan ändrar (avsnitt, aktörer, insatsområden)")
    diff.add_argument("old", type=Path, help="den gamla planen (Markdown)")
    diff.add_argument("new", type=Path, help="den nya planen (Markdown)")
    check = actions.add_parser("check", parents=[common], help="kontrollera en reviderad plan före bytet")
    check.add_argument("plan", type=Path, help="den nya planen (Markdown); --knowledge är den som gäller nu")
    check.add_argument("--eval", type=Path, nargs="*", help="frågefiler (standard: dev.jsonl, tests/data)")
    check.add_argument("--limit", type=int, help="högst så många frågor per fil")
    return parser


def _default_dialogs() -> list[Path]:
    path = Path("../shared/eval/dev_dialogs.jsonl")
    return [path] if path.exists() else []


def _load_qa(config: Config):
    from handlers.engine.qa import QA

    return QA.load(config, progress=lambda message: print(message, file=sys.stderr, flush=True))


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from handlers.channels.botframework.app import run
    from handlers.channels.botframework.state import StateConfigError, make_storage
    from handlers.operations.workers import check_workers

    check_workers(config)  # before anything starts: several processes need a shared state store
    try:
        make_storage(config)  # a broken state configuration stops here, with its message, not in a worker
    except StateConfigError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    run(config, lambda: _load_qa(config))  # each process makes its own store (no client crosses a fork)
    return 0


def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    if args.batch:
        questions = [q.strip() for q in args.batch.read_text(encoding="utf-8").splitlines() if q.strip()]
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        print('Skriv en fråga, t.ex.: python bot.py ask "Vad gör Almi?"', file=sys.stderr)
        return 2
    from handlers.wording import render

    qa = _load_qa(config)
    for question in questions:
        answer = qa.answer(question)
        if args.json or args.batch:
            print(json.dumps(render.answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(render.markdown(answer), end="\n\n", flush=True)
    return 0


def cmd_chat(config: Config, args: argparse.Namespace) -> int:
    from handlers.wording import render
    from handlers.wording.texts import SV

    qa = _load_qa(config)
    print(SV.welcome, end="\n\n")
    context = None  # follow-up questions refer back to the previous answer, as in Teams
    while True:
        try:
            question = input("Fråga> ").strip()
        except EOFError:
            print()
            return 0
        if question.lower() in {"avsluta", "exit", "quit", "hej då"}:
            return 0
        if not question:
            continue
        if question.lower() in {"hjälp", "help", "?"}:
            print(SV.help, end="\n\n")
            continue
        answer = qa.answer(question, context)
        context = answer.context
        print(render.markdown(answer), end="\n\n", flush=True)


def cmd_index(config: Config, args: argparse.Namespace) -> int:
    from index.embed import make_embedder
    from index.store import build_index, check_index

    if args.action == "status":
        check = check_index(config.index_dir, config.knowledge_path, config.embedder)
        if check.state == "current":
            print(f"Indexet är aktuellt: {config.index_dir}")
        elif check.state == "corrupt":
            print(f"Indexet är skadat: {check.reason}. Bygg om det: python bot.py index build")
        else:
            print(f"Indexet behöver byggas: {check.reason}")
        return 0 if check.state == "current" else 1
    embedder = make_embedder(config.embedder)
    build_index(
        config.knowledge_path,
        config.index_dir,
        config.embedder,
        embedder,
        progress=lambda message: print(message, flush=True),
    )
    _load_qa(config)  # checks the suggested follow-ups against the new index and stores them beside it
    return 0


def _quality(module: str) -> ModuleType:
    """A module of the quality tooling (handlers/quality/), which a checkout has and the image leaves out."""
    import importlib

    try:
        return importlib.import_module(f"handlers.quality.{module}")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("handlers.quality"):
            raise
        raise SystemExit(
            "Fel: mätverktygen (handlers/quality/) finns inte i den här installationen, till exempel i "
            "produktionsavbilden. Kör kommandot i en utcheckning av projektet, installerad enligt README.md."
        ) from None


def cmd_eval(config: Config, args: argparse.Namespace) -> int:
    evaluation = _quality("evaluation")

    qa = _load_qa(config)
    if args.corpus_cv:
        evaluation, calibration = _quality("evaluation"), _quality("calibration")
        for line in evaluation.report(calibration.cross_validated(qa, config.corpus_dir)):
            print(line)
        return 0
    if args.ranker_cv:
        ranker_cv = _quality("ranker_cv")
        for line in ranker_cv.report(ranker_cv.cross_validated(ranker_cv.samples(qa, config.corpus_dir))):
            print(line)
        return 0
    if args.ask_back_curve:
        calibration = _quality("calibration")
        for line in calibration.curve(calibration.measure(qa, config.corpus_dir)):
            print(line)
        return 0
    if args.scope_curve:
        calibration = _quality("calibration")
        for line in calibration.scope_curve(calibration.scope_points(qa, config.corpus_dir)):
            print(line)
        return 0
    # Variants drawn afresh each run (a fixed variant could be fixed by hand); the seed printed repeats them.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    files = [*args.dialogs, args.file]  # the main file last: its metrics close the output
    for n, path in enumerate(files):
        results = evaluation.run(evaluation.load_cases(path), qa.answer)
        # Only the main file is perturbed: a dialog turn's meaning hangs on the turns before it.
        perturb = args.perturb and n == len(files) - 1
        variants = evaluation.run_variants(results, qa.answer, seed) if perturb else []
        if len(files) > 1:
            print(f"== {path}")
        for line in evaluation.report(results, variants, show_failures=args.failures):
            print(line)
        if perturb:
            print(f"perturb_seed: {seed}")
    if args.curve:
        for line in evaluation.curve(evaluation.load_cases(args.file), lambda q: qa.judge(q).score):
            print(line)
    return 0


def cmd_bench(config: Config, args: argparse.Namespace) -> int:
    benchmark, load_cases = _quality("benchmark"), _quality("evaluation").load_cases
    if args.scale:
        factors = [int(k) for k in args.scale.split(",") if k.strip().isdigit() and int(k) >= 1]
        for line in _quality("scalebench").run(config, factors):
            print(line, flush=True)
        return 0
    if args.file is not None and not args.file.is_file():
        hint = 'Ange en fil med en fråga per rad i JSON ({"q": …}), eller ingen: då mäts korpusens frågor.'
        print(f"Fel: frågefilen {args.file} finns inte. {hint}", file=sys.stderr)
        return 2
    if args.file is None:
        questions = benchmark.bundled_questions(config.corpus_dir)
        print(f"frågor: {len(questions)} ur {config.corpus_dir} (ange en fil för andra)", flush=True)
    else:
        questions = [case.question for case in load_cases(args.file)]

    if args.abuse:
        import asyncio

        run_abuse_bench = _quality("abusebench").run

        for line in asyncio.run(run_abuse_bench(config, lambda: _load_qa(config))):
            print(line, flush=True)
        return 0
    if args.load:  # through a real server's /api/messages; no engine in this process
        run_load_bench = _quality("loadbench").run_load_bench

        for line in run_load_bench(config, questions, args.requests):
            print(line, flush=True)
        return 0
    qa = _load_qa(config)
    print(f"uppstart (embedder + index, index byggt): {qa.report.seconds:.2f} s")
    result = benchmark.run_bench(qa, questions, rounds=args.rounds, cold_start=not args.no_cold_start)
    for line in result.lines():
        print(line)
    return 0


def cmd_teams_package(config: Config, args: argparse.Namespace) -> int:
    from deploy.teams.package import PackageError, build_package

    try:
        path = build_package(args.app_id or config.app_id, args.domain, args.version, args.out)
    except PackageError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


def cmd_knowledge(config: Config, args: argparse.Namespace) -> int:
    if args.action == "diff":
        return cmd_knowledge_diff(args)
    if args.action == "check":
        return cmd_knowledge_check(config, args)
    return cmd_knowledge_import(args)


def cmd_knowledge_import(args: argparse.Namespace) -> int:
    from index.importer import ImportRefused, import_plan

    try:
        imported = import_plan(args.file)
    except ImportRefused as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".tmp")
    partial.write_text(imported.markdown, encoding="utf-8")
    partial.replace(args.out)  # a reader never sees half a plan
    print(f"Importerade {args.file} till {args.out}")
    print("\n".join(imported.report.lines()))
    return 0


def cmd_knowledge_diff(args: argparse.Namespace) -> int:
    from index.knowledge import load_document
    from index.revision import compare, report

    try:
        old, new = load_document(args.old), load_document(args.new)
    except (OSError, UnicodeDecodeError) as error:
        print(f"Fel: planen går inte att läsa ({error})", file=sys.stderr)
        return 2
    print("\n".join(report(compare(old, new), str(args.old), str(args.new))))
    return 0


def cmd_knowledge_check(config: Config, args: argparse.Namespace) -> int:
    release = _quality("release")
    check_release, default_eval_files = release.check_release, release.default_eval_files

    files = default_eval_files() if args.eval is None else args.eval
    result = check_release(
        args.plan, config, files, args.limit, lambda message: print(message, file=sys.stderr, flush=True)
    )
    print("\n".join(result.lines()))
    if not result.ok:
        print(f"Fel: {args.plan} godkändes inte: {' '.join(result.failures)}", file=sys.stderr)
    return 0 if result.ok else 1


def _period(text: str) -> timedelta:
    from handlers.insights.report import parse_since

    try:
        return parse_since(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_report(config: Config, args: argparse.Namespace) -> int:
    from handlers.insights.report import write_report

    try:
        report = write_report(config, args.since, args.out, args.csv)
    except (OSError, ValueError) as error:  # the store cannot be opened, the file cannot be written
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    print(f"Rapport: {args.out}" + (f" (CSV i {args.csv})" if args.csv else ""))
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "index": cmd_index,
    "eval": cmd_eval,
    "bench": cmd_bench,
    "teams-package": cmd_teams_package,
    "report": cmd_report,
    "knowledge": cmd_knowledge,
}

if __name__ == "__main__":
    sys.exit(main())
