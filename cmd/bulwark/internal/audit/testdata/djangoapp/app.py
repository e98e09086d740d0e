"""A small Django 3.2 site: the test fixture of the bulwark audit tests.

Usage: /usr/bin/python3 app.py PORT DATADIR

It keeps its SQLite database in DATADIR/db.sqlite3, runs the migrations,
creates the user "alice" with the password in $DJANGO_TEST_PASSWORD, and
serves 127.0.0.1:PORT (0 picks a free port) in one process without the
autoreloader. Once it listens it prints "READY http://127.0.0.1:PORT" on
stdout with the port it really got. Request logs go to stderr.

The site is deliberately a mix of right and wrong, so that the auditor has
something to find and something to leave alone:

  /                   home page; links to the pages below
  /accounts/login/    LoginView, a form with {% csrf_token %}
  /accounts/logout/   LogoutView, which in Django 3.2 logs out on GET: the
                      home page links to it with a plain <a href>, so any
                      cross-site GET (an <img>, a link) signs the user out.
                      That is the bug a CSRF audit must report.
  /notes/             login required; a POST form with {% csrf_token %} that
                      CsrfViewMiddleware protects: forged POSTs get 403.
  /exempt/            login required; a POST form without a token whose view
                      is @csrf_exempt, so a forged POST with the session
                      cookie saves a message: the other bug to report.

Notes and messages live in two tables of the same database, per user, so a
request from one client (the forged one) is visible to another (the check).
"""

import os
import secrets
import sys

import django
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

# The pages, served by the in-memory template loader.
PAGES = {
    "base.html": """<!doctype html>
<html><head><meta charset="utf-8"><title>{% block title %}{% endblock %} - Django fixture</title></head>
<body>{% block body %}{% endblock %}</body></html>
""",
    "home.html": """{% extends "base.html" %}
{% block title %}Home{% endblock %}
{% block body %}<h1>Django fixture</h1>
{% if user.is_authenticated %}<p>Signed in as {{ user.username }}</p>
<ul>
<li><a href="/notes/">Notes</a></li>
<li><a href="/exempt/">Exempt messages</a></li>
<li><a href="/accounts/logout/">Log out</a></li>
</ul>
{% else %}<p>Not signed in. <a href="/accounts/login/">Log in</a></p>{% endif %}
{% endblock %}
""",
    "registration/login.html": """{% extends "base.html" %}
{% block title %}Log in{% endblock %}
{% block body %}<h1>Log in</h1>
{% if form.errors %}<p>Wrong username or password.</p>{% endif %}
<form method="post" action="/accounts/login/">{% csrf_token %}
<label>Username <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<input type="hidden" name="next" value="{{ next }}">
<button type="submit">Log in</button>
</form>
{% endblock %}
""",
    "notes.html": """{% extends "base.html" %}
{% block title %}Notes{% endblock %}
{% block body %}<h1>Notes</h1>
<form method="post" action="/notes/">{% csrf_token %}
<textarea name="body"></textarea>
<button type="submit">Add note</button>
</form>
<ul>{% for body in items %}<li class="note">{{ body }}</li>{% endfor %}</ul>
{% endblock %}
""",
    "exempt.html": """{% extends "base.html" %}
{% block title %}Exempt messages{% endblock %}
{% block body %}<h1>Exempt messages</h1>
<form method="post" action="/exempt/">
<input type="text" name="message">
<button type="submit">Save message</button>
</form>
<ul>{% for message in items %}<li class="message">{{ message }}</li>{% endfor %}</ul>
{% endblock %}
""",
}


def configure(datadir):
    """Configures Django in code: no settings module, templates in memory."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(datadir, "db.sqlite3"),
            }
        },
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                ],
                "loaders": [("django.template.loaders.locmem.Loader", PAGES)],
            },
        }],
        LOGIN_URL="/accounts/login/",
        LOGIN_REDIRECT_URL="/",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
    )
    django.setup()


def home(request):
    """The home page, with the logout link that is a plain GET."""
    return render(request, "home.html")


def rows(table, column, user):
    """The user's values in table, oldest first."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE user_id = %s ORDER BY id", [user.pk])
        return [r[0] for r in cur.fetchall()]


def add_row(table, column, user, value):
    """Stores value for the user in table."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} (user_id, {column}) VALUES (%s, %s)", [user.pk, value])


@login_required
def notes(request):
    """The protected form: CsrfViewMiddleware checks its POSTs."""
    if request.method == "POST":
        add_row("fixture_note", "body", request.user, request.POST.get("body", ""))
        return redirect("/notes/")
    items = rows("fixture_note", "body", request.user)
    return render(request, "notes.html", {"items": items})


@csrf_exempt
@login_required
def exempt(request):
    """The unprotected form: @csrf_exempt, so forged POSTs succeed."""
    if request.method == "POST":
        add_row("fixture_message", "message", request.user, request.POST.get("message", ""))
        return redirect("/exempt/")
    items = rows("fixture_message", "message", request.user)
    return render(request, "exempt.html", {"items": items})


def url_patterns():
    """The site's URLs. The auth views import models, so this runs only
    after configure(); main() stores the list as urlpatterns, the
    ROOT_URLCONF of this module."""
    from django.contrib.auth import views as auth_views

    return [
        path("", home),
        path("accounts/login/", auth_views.LoginView.as_view()),
        path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/")),
        path("notes/", notes),
        path("exempt/", exempt),
    ]


def prepare_database():
    """Migrates, creates the fixture's tables and the user alice."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        for table, column in (("fixture_note", "body"), ("fixture_message", "message")):
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                f" user_id INTEGER NOT NULL, {column} TEXT NOT NULL)"
            )
    if not User.objects.filter(username="alice").exists():
        User.objects.create_user("alice", password=os.environ["DJANGO_TEST_PASSWORD"])


def serve(port):
    """Serves the site on 127.0.0.1:port, one thread per request."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    server = ThreadedWSGIServer(("127.0.0.1", port), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


def main():
    if len(sys.argv) != 3 or not os.environ.get("DJANGO_TEST_PASSWORD"):
        sys.exit("usage: DJANGO_TEST_PASSWORD=... app.py PORT DATADIR")
    configure(sys.argv[2])
    global urlpatterns
    urlpatterns = url_patterns()
    prepare_database()
    serve(int(sys.argv[1]))


if __name__ == "__main__":
    main()
