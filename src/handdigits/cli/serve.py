"""``handdigits serve``: the draw-a-digit page and JSON API."""

from __future__ import annotations

from ._common import CommandError, add_model_option, add_runtime_options, check_model_option


def add_serve(sub):
    p = sub.add_parser(
        "serve",
        help="a draw-a-digit web page and JSON API (needs the serve extra)",
        description="Serve a page where you draw a digit (mouse, finger or pen) or drop a photo and see the "
        "answer, and a JSON API (POST /api/predict, GET /healthz; OpenAPI docs at /docs).  Needs: "
        "pip install 'handdigits[serve]'.  Stop with Ctrl+C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    add_model_option(p)
    add_runtime_options(p)
    p.set_defaults(func=run_serve)


def run_serve(args, parser) -> int:
    check_model_option(parser, args.model)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    try:
        from ..serve import run
    except ImportError as exc:
        raise CommandError(
            f"the web app needs the serve extra ({exc}); install it: pip install 'handdigits[serve]'"
        ) from None
    return run(host=args.host, port=args.port, model=args.model, threads=args.threads, quantized=args.quantized)

