"""``handdigits demo``: classify the sample images bundled with the package."""

from __future__ import annotations

from ._common import add_model_option, check_model_option, load_classifier


def add_demo(sub):
    p = sub.add_parser(
        "demo",
        help="classify the sample images bundled with the package",
        description="Classify the ten sample images bundled with the package (photos, scans and screenshots of "
        "real handwritten digits; each file name starts with the true digit).  Exit status 1 when one is "
        "misclassified.",
    )
    add_model_option(p)
    p.set_defaults(func=run_demo)


def run_demo(args, parser) -> int:
    check_model_option(parser, args.model)
    from ..samples import list_samples, true_digit

    clf = load_classifier(args.model)
    samples = list_samples()
    correct = 0
    print(f"Classifying {len(samples)} bundled sample images (file names start with the true digit):")
    for path in samples:
        digit, prob = clf.top_k(path, k=1)[0]
        expected = true_digit(path)
        ok = expected == digit
        correct += ok
        mark = "ok" if ok else f"WRONG (expected {expected})"
        print(f"  {path.name:<32} -> {digit}  ({prob:6.1%})  {mark}")
    print(f"{correct}/{len(samples)} correct")
    return 0 if correct == len(samples) else 1
