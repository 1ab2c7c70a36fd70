"""Smart radio (truyền thanh thông minh): speaker clusters, bulletins, programmes, emergencies, play logs.

Services in ``services.py``; the device protocol (``device.py`` on the WSGI server, ``push.py`` the
asyncio long-poll server started by ``ngoso serve``) is described in ``docs/radio.md``; the cluster client
is ``client.py`` (``ngoso speaker``) and ``simulator.py`` runs thousands of them in one process.
"""
