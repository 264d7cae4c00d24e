"""Example: the router agent of the Druppie design, instrumented with druppie_grafana_agent.

It mirrors the seed's handle_user_question: a `process_question` span with user.id and
question.category, a "Plan Created" event with plan.steps, and child spans for the LLM call
(gen_ai.* attributes) and the database query (db.system), with log lines inside each, so that
every line links to its trace in Grafana and every span links back to its lines.

The LLM and the database are local stand-ins (no network), so the example runs anywhere:

    OTEL_TRACES_EXPORTER=console python examples/agent/router_agent.py
    OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 python examples/agent/router_agent.py
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from druppie_grafana.contract import DEFAULT_CONTRACT, Contract

AGENT_NAME = "router-agent"


@dataclass(frozen=True)
class Plan:
    steps: tuple[str, ...]


class RouterAgent:
    """Answers a user's question: plan with the LLM, look up data, answer."""

    def __init__(self, tracer: trace.Tracer | None = None, logger: logging.Logger | None = None,
                 contract: Contract = DEFAULT_CONTRACT, model: str = "gpt-4o"):
        self.tracer = tracer or trace.get_tracer("druppie.router_agent")
        self.log = logger or logging.getLogger("druppie.router_agent")
        self.contract = contract
        self.model = model

    def handle_user_question(self, question: str, user_id: str = "user_123",
                             category: str = "waterbeheer") -> str:
        c = self.contract
        with self.tracer.start_as_current_span("process_question", kind=SpanKind.SERVER) as span:
            span.set_attribute("user.id", user_id)
            span.set_attribute("question.category", category)
            span.set_attribute(c.agent_attribute, AGENT_NAME)
            self.log.info("Vraag ontvangen", extra={"user_id": user_id, "question_category": category})

            plan = self.create_plan(question)
            # The decision itself goes into the trace as an event, as the seed does.
            span.add_event(c.plan_event_name, attributes={c.plan_steps_attribute: str(len(plan.steps))})
            self.log.info("Plan gemaakt", extra={"plan_steps": len(plan.steps)})

            levels = self.query_water_levels(category)
            answer = f"{len(levels)} meetpunten gevonden voor {category}"
            self.log.info("Antwoord verstuurd")
            return answer

    def create_plan(self, question: str) -> Plan:
        c = self.contract
        # Span name and attributes follow the OpenTelemetry gen_ai semantic conventions.
        with self.tracer.start_as_current_span(f"chat {self.model}", kind=SpanKind.CLIENT) as span:
            span.set_attribute(c.llm_system_attribute, "az.ai.openai")
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.request.model", self.model)
            span.set_attribute(c.agent_attribute, AGENT_NAME)
            self.log.info("Prompt verstuurd", extra={"gen_ai_request_model": self.model,
                                                     "prompt_chars": len(question)})
            steps = tuple(part.strip() for part in question.replace("?", "").split(" en ") if part.strip())
            span.set_attribute("gen_ai.usage.input_tokens", len(question.split()))
            span.set_attribute("gen_ai.usage.output_tokens", 3 * len(steps))
            self.log.info("Antwoord van LLM ontvangen", extra={"steps": len(steps)})
            return Plan(steps)

    def query_water_levels(self, category: str) -> list[tuple[str, float]]:
        c = self.contract
        with self.tracer.start_as_current_span("SELECT waterstanden", kind=SpanKind.CLIENT) as span:
            span.set_attribute(c.db_system_attribute, "postgresql")
            span.set_attribute("db.operation.name", "SELECT")
            span.set_attribute("db.collection.name", "waterstanden")
            self.log.info("Query gestart", extra={"db_collection": "waterstanden"})
            rows = [("Lobith", 9.12), ("Nijmegen", 7.40)] if category == "waterbeheer" else []
            if not rows:
                span.set_status(Status(StatusCode.ERROR, "no rows"))
                self.log.warning("Geen meetpunten gevonden", extra={"category": category})
            self.log.info("Query klaar", extra={"rows": len(rows)})
            return rows


def main() -> None:
    from druppie_grafana_agent import setup_logging, setup_tracing

    provider = setup_tracing(AGENT_NAME, service_namespace="druppie")
    setup_logging()
    logging.getLogger("druppie").info("router agent gestart")  # outside any span: no trace link
    answer = RouterAgent().handle_user_question("Wat is de waterstand bij Lobith en Nijmegen?")
    logging.getLogger("druppie").info("klaar", extra={"answer": answer})
    provider.shutdown()  # flushes the batch exporter


if __name__ == "__main__":
    main()
