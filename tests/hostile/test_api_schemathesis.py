"""F1: schemathesis on the JSON API, in-process on the WSGI app (RELIABILITY.md §5.1, §6).

Every operation of /api/v1/openapi.json gets generated requests, schema-valid (positive) and
schema-violating (negative), as an anonymous visitor and as a signed-in member of a verified
enterprise, against the demo data (real listings, organisations, open data). Each response
goes through four checks: not_a_server_error, status_code_conformance,
content_type_conformance and response_schema_conformance. All failures are collected (one
failing case does not hide the others) and the figure line names operations, cases, failures
per check, seed and elapsed time. Sizes: 25 positive + 10 negative cases per operation in the
normal suite (derandomized), 150 + 150 with FUZZ_HARD=1 (seeded). Half the positive cases
name a real listing or organisation of the demo. The JUnit-style report goes to test-results/schemathesis-<backend>.xml.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import BACKEND
from tests.hostile.common import HARD, SEED, distinct_global_random, figure

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CASES = {GenerationMode.POSITIVE: 150 if HARD else 25, GenerationMode.NEGATIVE: 150 if HARD else 10}
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


class FreshContextApp:
    """The WSGI app with its own application context per request (the test holds one open,
    and Flask would reuse it: ``g`` and the database session would leak between requests)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with self.app.app_context():
            return self.app(environ, start_response)


def _session_cookie(app, email: str, password: str) -> dict[str, str]:
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.status_code
    name = app.config["SESSION_COOKIE_NAME"]
    return {name: client.get_cookie(name).value}


CHECK_OF_FAILURE = {
    "ServerError": "not_a_server_error",
    "UndefinedStatusCode": "status_code_conformance",
    "MissingContentType": "content_type_conformance",
    "MalformedMediaType": "content_type_conformance",
    "UndefinedContentType": "content_type_conformance",
    "JsonSchemaError": "response_schema_conformance",
    "MalformedJson": "response_schema_conformance",
    "ContentDeserializationError": "response_schema_conformance",
    "DiscriminatorMismatch": "response_schema_conformance",
}


def _failure_key(error: BaseException) -> list[str]:
    """Which checks a validation error is about (schemathesis groups several in one); an
    exception the app raised itself counts as a server error."""
    failures = getattr(error, "exceptions", None) or [error]
    return [CHECK_OF_FAILURE.get(type(f).__name__,
                                 "not_a_server_error" if not hasattr(f, "code") else
                                 type(f).__name__) for f in failures]


def _write_junit(operations: dict, path: Path) -> None:
    suite = ET.Element("testsuite", name="schemathesis", tests=str(len(operations)),
                       failures=str(sum(1 for o in operations.values() if o["failures"])))
    for label, info in operations.items():
        case = ET.SubElement(suite, "testcase", classname="schemathesis", name=label,
                             time=f"{info['elapsed']:.3f}")
        ET.SubElement(case, "system-out").text = f"cases: {info['cases']}"
        for message in info["failures"][:5]:
            ET.SubElement(case, "failure", message=message[:200]).text = message
    path.parent.mkdir(exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _fuzz(operation, mode, identities, real_ids, label, info, per_check, examples) -> None:
    @hypothesis_seed(SEED)
    @settings(max_examples=CASES[mode], deadline=None, database=None,
              derandomize=not HARD, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode),
           who=st.sampled_from(sorted(identities)), real=st.integers(-1, 10**6))
    def run(case, who, real):
        distinct_global_random()
        info["cases"] += 1
        for name, ids in real_ids.items():  # half the positive cases name a real object
            if mode == GenerationMode.POSITIVE and real >= 0 and name in (case.path_parameters
                                                                         or {}):
                case.path_parameters[name] = ids[real % len(ids)]
        try:
            response = case.call(cookies=identities[who])
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - all are counted
            names = _failure_key(error)
            per_check.update(names)
            message = (f"{label} as {who}: {', '.join(names)}: {str(error)[:400]}\n"
                       f"reproduce: {case.as_curl_command()}")
            info["failures"].append(message)
            if len(examples) < 10 and not any(e.startswith(message[:80]) for e in examples):
                examples.append(message)

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation without parameters: nothing to break
        assert mode == GenerationMode.NEGATIVE, label


@pytest.fixture
def demo_api(app, db):
    from marketplace.demo import DEMO_PASSWORD, load_demo

    load_demo()
    db.session.commit()
    identities = {
        "anonymous": {},
        "sme": _session_cookie(app, "sme@demo.czinno.cn", DEMO_PASSWORD),
    }
    from listings.models import Listing
    from marketplace.api.openapi import build_openapi
    from marketplace.organizations.models import Organization

    schema = schemathesis.openapi.from_dict(build_openapi())
    schema.app = FreshContextApp(app)
    real_ids = {"listing_id": list(db.session.scalars(sa.select(Listing.id))),
                "organization_id": list(db.session.scalars(sa.select(Organization.id)))}
    return schema, identities, real_ids


def test_api_conforms_to_its_openapi_document(demo_api, request):
    schema, identities, real_ids = demo_api
    started = time.perf_counter()
    per_check: Counter[str] = Counter()
    operations: dict[str, dict] = {}
    examples: list[str] = []
    total_cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.method.upper()} {operation.path} [{mode.value}]"
            info = operations[label] = {"cases": 0, "failures": [], "elapsed": 0.0}
            op_started = time.perf_counter()

            _fuzz(operation, mode, identities, real_ids, label, info, per_check, examples)
            info["elapsed"] = time.perf_counter() - op_started
            total_cases += info["cases"]
    elapsed = time.perf_counter() - started
    _write_junit(operations, RESULTS / f"schemathesis-{BACKEND}.xml")
    n_operations = len({label.rsplit(" [", 1)[0] for label in operations})
    checks = ", ".join(f"{check.__name__}={per_check.get(check.__name__, 0)}" for check in CHECKS)
    other = sum(v for k, v in per_check.items() if k not in {c.__name__ for c in CHECKS})
    figure(request, f"F1 schemathesis ({BACKEND}): {n_operations} operations, {total_cases} "
                    f"cases (up to {CASES[GenerationMode.POSITIVE]} positive + "
                    f"{CASES[GenerationMode.NEGATIVE]} negative per operation, "
                    f"{len(identities)} identities), failures: {checks}, other={other}; "
                    f"seed {SEED}, elapsed {elapsed:.1f}s")
    assert not examples, "\n\n".join(examples)
