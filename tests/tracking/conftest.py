from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def writer(make_writer):
    return make_writer("trackwright")


@pytest.fixture
def other(make_writer):
    return make_writer("nosyneighbour")


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
