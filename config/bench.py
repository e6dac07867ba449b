"""A bare view for benchmarks: the stack's ceiling.

Served only when BENCH_CEILING_VIEW is on. It goes through the same middleware, session and
login check as every learner page and runs one trivial query, so the difference between its
throughput and a real page's is what the real page itself costs.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@login_required
@require_GET
def ceiling(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return HttpResponse(f"ok {value} {request.user.pk}", content_type="text/plain")
