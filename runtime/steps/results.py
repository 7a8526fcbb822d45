"""Results of what the flow waited for: web services, hooks, knowledge, handoffs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl import tree as T
from runtime import events as E

if TYPE_CHECKING:
    from runtime.session import Session


def on_result(session: Session, event: E.Event) -> None:
    st = session.state
    wait = st.wait
    if wait is None or getattr(event, "request_id", None) != wait.request_id:
        return  # a late or foreign result: ignored
    node = session.program.node(wait.flow, wait.node)
    st.wait = None
    if isinstance(event, E.FetchResult | E.HookResult):
        _service_result(session, wait.flow, node, event)
    elif isinstance(event, E.KnowledgeResult):
        _knowledge_result(session, wait.flow, node, event)
    elif isinstance(event, E.HandoffOutcome) and not event.ok:
        st.ended = ""
        from runtime.session import FlowError

        raise FlowError(f"handoff failed: {event.reason or 'no reason given'}")


def _service_result(session: Session, flow: str, node: T.Node,
                    event: E.FetchResult | E.HookResult) -> None:
    if event.ok:
        value = event.body if isinstance(event, E.FetchResult) else event.value
        var = getattr(node, "var", "")
        if var:
            session.set_var(var, value)
        return
    session.log_entry("service_error", {"error": event.error}, node)
    handler = session.handler_for(getattr(node, "handlers", ()), "error")
    if handler is None:
        handler = session.global_handler("error")
    if handler is None:
        from runtime.session import FlowError

        raise FlowError(f"{type(node).__name__.lower()} failed: {event.error}")
    session.run_handler(flow, handler)


def _knowledge_result(session: Session, flow: str, node: T.Answer,
                      event: E.KnowledgeResult) -> None:
    threshold = node.min_confidence if node.min_confidence is not None else 0.5
    st = session.state
    if event.answer and event.confidence >= threshold and not event.error:
        st.consulted.append({"question": st.last_utterance, "source": event.source,
                             "confidence": event.confidence})
        session.play(flow, T.Prompt(parts=(T.Template(text=event.answer,
                                                      parts=(event.answer,)),)), node)
        return
    handler = session.handler_for(node.handlers, "no_answer")
    if handler is not None:
        session.run_handler(flow, handler)
