"""Locust users for `make load`: the four roles of a buyer's team on the demo instance.

Weights give 20 users as 6 buyers, 5 lawyers, 5 sourcing officers and 4 evaluators. Every
action is named after what a person does, so the figures read per action. 409 answers to a
save are the optimistic lock refusing a stale save: counted apart, not as errors.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).parent))
from forms import csrf_token, form_fields  # noqa: E402

TENDER = 1
SEARCHES = [
    "développement d'applications web",
    "hébergement souverain de données",
    "intelligence artificielle traitement du langage",
    "maintenance de logiciels de gestion",
    "formation et accompagnement au changement",
]
LIBRARY_QUERIES = ["données", "sécurité", "réversibilité", "propriété", "audit", "pénalités"]


class Member(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    email = password = ""

    def on_start(self) -> None:
        page = self.client.get("/login", name="login page").text
        self.token = csrf_token(page)
        resp = self.client.post(
            "/login",
            data={"email": self.email, "password": self.password, "csrf_token": self.token},
            name="login",
        )
        self.token = csrf_token(resp.text)

    def post(self, url: str, name: str, **kw):
        headers = {"X-CSRFToken": self.token, **kw.pop("headers", {})}
        return self.client.post(url, name=name, headers=headers, **kw)


class Buyer(Member):
    weight = 6
    email, password = "acheteur@demo.procure.fr", "demo-acheteur-2026"

    def on_start(self) -> None:
        super().on_start()
        page = self.client.get(f"/tenders/{TENDER}", name="tender page").text
        self.links = sorted(set(re.findall(rf"/tenders/{TENDER}/clauses/(\d+)\"", page)))

    @task(5)
    def clause_preview(self) -> None:
        link = random.choice(self.links)
        page = self.client.get(f"/tenders/{TENDER}/clauses/{link}", name="clause page").text
        names = sorted(set(re.findall(r'name="(v-[^"]+)"', page)))
        values = {n: str(random.randint(1, 90)) for n in names}
        self.post(
            f"/tenders/{TENDER}/clauses/{link}/preview",
            "clause edit preview",
            data=values,
            headers={"HX-Request": "true"},
        )

    @task(3)
    def compliance_check(self) -> None:
        self.client.get(f"/tenders/{TENDER}/check", name="compliance check")

    @task(1)
    def export_ccap(self) -> None:
        self.post(
            f"/tenders/{TENDER}/export", "CCAP export", data={"piece": "CCAP", "format": "docx"}
        )

    @task(1)
    def save_tender(self) -> None:
        page = self.client.get(f"/tenders/{TENDER}/edit", name="tender edit page").text
        fields = [
            (k, f"Assistant IA pour l'instruction des demandes (v{random.randint(1, 10**6)})")
            if k == "title"
            else (k, v)
            for k, v in form_fields(page, "form#tender-form")
        ]  # a real change, so that concurrent saves can conflict
        with self.client.post(
            f"/tenders/{TENDER}/edit",
            data=fields,
            name="tender save",
            headers={"X-CSRFToken": self.token},
            catch_response=True,
            allow_redirects=False,
        ) as resp:
            if resp.status_code == 409:
                resp.success()  # the optimistic lock refused a stale save: correct
                self.environment.events.request.fire(
                    request_type="LOCK", name="tender save refused (409)", response_time=0,
                    response_length=0, exception=None, context={},
                )  # fmt: skip


class Lawyer(Member):
    weight = 5
    email, password = "juriste@demo.procure.fr", "demo-juriste-2026"

    @task(4)
    def library_search(self) -> None:
        q = random.choice(LIBRARY_QUERIES)
        self.client.get(f"/clauses/?q={q}", name="library search", headers={"HX-Request": "true"})

    @task(1)
    def clause_history(self) -> None:
        page = self.client.get("/clauses/", name="library page").text
        keys = re.findall(r'href="/clauses/([a-z0-9-]+)"', page)
        if keys:
            self.client.get(f"/clauses/{random.choice(keys)}", name="clause detail")


class Sourcing(Member):
    weight = 5
    email, password = "sourcing@demo.procure.fr", "demo-sourcing-2026"

    @task
    def sourcing_search(self) -> None:
        self.post(
            "/sourcing/recherche",
            "sourcing search",
            data={"need": random.choice(SEARCHES), "limit": "10"},
            headers={"HX-Request": "true"},
        )


class Evaluator(Member):
    weight = 4
    email, password = "evaluateur@demo.procure.fr", "demo-evaluateur-2026"

    def on_start(self) -> None:
        super().on_start()
        page = self.client.get(f"/evaluation/{TENDER}", name="evaluation page").text
        self.offers = sorted(set(re.findall(rf"/evaluation/{TENDER}/offers/(\d+)/scores", page)))
        self.criteria = sorted(set(re.findall(r'name="score-(\d+)"', page)))

    @task
    def save_scores(self) -> None:
        if not self.offers:
            return
        data = {}
        for i in self.criteria:
            data[f"score-{i}"] = str(random.randint(8, 18))
            data[f"comment-{i}"] = "Réponse complète et argumentée."
        self.post(
            f"/evaluation/{TENDER}/offers/{random.choice(self.offers)}/scores",
            "save scores",
            data=data,
        )
