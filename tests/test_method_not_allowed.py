from __future__ import annotations

from django.urls import reverse

from tests.conftest import client_for


def test_a_forms_address_visited_says_so_and_the_api_keeps_its_json(cast):
    client = client_for(cast.manager)
    response = client.get(reverse("launches:create", args=[cast.project.pk]))
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "<h1>Not a page</h1>" in page and "This address takes what a form sends" in page

    api = client.put(reverse("api:project-list"), content_type="application/json")
    assert api.status_code == 405 and api.json()["code"] == "method_not_allowed"
