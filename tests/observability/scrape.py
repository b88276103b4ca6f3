"""Reading /metrics as Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families


def samples(http, **extra) -> dict:
    """Every sample of a scrape: {(name, frozenset(labels.items())): value}."""
    response = http.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:300]
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scraped: dict, name: str, **labels) -> float:
    """The sample ``name`` with exactly ``labels``; 0 when it has not been recorded yet."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


def moved(before: dict, after: dict, name: str, **labels) -> float:
    """How much the sample ``name`` with ``labels`` grew between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)
