"""``guanai node web``: the school's own web pages, on the school's own PC.

Why Flask, Jinja2 and cheroot. The aid-office worker does a period's work in a browser, so the
pages are plain server-rendered HTML forms that work without scripts, by keyboard, and on a
PC with no internet. Flask is the most widely kept Python framework for exactly that (forms,
sessions, Jinja2 templates with autoescaping), and its handlers are ordinary synchronous
functions, like every function of node/ they call over SQLite: an asynchronous framework
(Starlette) would add a thread hop to every call and buy nothing here. The server is cheroot:
pure Python like the rest, runs the same on the Windows PCs schools have, is threaded, and
(unlike waitress) serves TLS itself, which binding to any address but loopback requires.

What the bureaus' pages will reuse is kept apart from the school's routes: ``csrf`` (tokens on
every state-changing request, single-use forms), ``auth`` (argon2id passwords), ``server``
(the loopback rule and TLS), ``jobs`` (long work with progress), ``templates/layout.html`` and
``static/``. The school's routes are one module per job (``routes_*.py``); they call node/'s
functions and hold no SQL.
"""
