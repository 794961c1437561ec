"""The live view: a small web page of a live run, served while it runs.

``http://HOST:PORT/`` shows a tile per camera (its latest frame, boxes coloured by global
identity, labelled 0 while a track is undecided; the frame number, second and the camera's last
problem) and the list of identities with the camera and second each was last seen at, newest
first. The page asks ``/state.json`` twice a second and each tile's ``/frame/<camera>.jpg``
when its frame changed; a frame is drawn and encoded only when asked for.

The server is Werkzeug's (the Pallets project's WSGI toolkit, BSD licence): it is already in
the environment (TensorBoard depends on it), it is maintained, and a threaded development
server in a daemon thread is all a page for a handful of viewers needs. No other web
framework is pulled in; the page is plain HTML and JavaScript with no outside resources.
"""
from __future__ import annotations

import json
import threading

import numpy as np

from posereid.datasets.boxes import Boxes
from posereid.utils.image_io import encode_jpeg
from posereid.visualization.storyboard import draw_identity_boxes, identity_colour

#: Events shown under the identities, newest first.
RECENT_EVENTS = 12

PAGE = '''<!doctype html>
<html><head><meta charset="utf-8"><title>posereid live</title>
<style>
body { font-family: sans-serif; margin: 1em; background: #111; color: #eee; }
#cameras { display: flex; flex-wrap: wrap; gap: 8px; }
.tile { background: #222; padding: 4px; }
.tile img { display: block; max-width: 480px; }
.caption { font-size: 13px; margin-top: 2px; }
.problem { color: #f66; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; }
li { font-size: 13px; list-style: none; }
</style></head>
<body><h1>posereid live <span id="status"></span></h1>
<div id="cameras"></div>
<h2>Identities (<span id="count">0</span>)</h2><ul id="identities"></ul>
<h2>Events</h2><ul id="events"></ul>
<script>
const shown = {};
function item(list, cls, html, attrs) {
  const li = document.createElement('li');
  li.className = cls; li.innerHTML = html;
  for (const [k, v] of Object.entries(attrs || {})) li.setAttribute(k, v);
  list.appendChild(li);
}
async function refresh() {
  let state;
  try { state = await (await fetch('state.json', {cache: 'no-store'})).json(); }
  catch (e) { document.getElementById('status').textContent = '(not answering)'; return; }
  document.getElementById('status').textContent = state.running ? '(running)' : '(stopped)';
  const cameras = document.getElementById('cameras');
  for (const cam of state.cameras) {
    let tile = cameras.querySelector(`.tile[data-camera="${cam.name}"]`);
    if (!tile) {
      tile = document.createElement('div');
      tile.className = 'tile'; tile.setAttribute('data-camera', cam.name);
      tile.innerHTML = '<img alt=""><div class="caption"></div>';
      cameras.appendChild(tile);
    }
    if (cam.frame && shown[cam.name] !== cam.frame) {
      tile.querySelector('img').src = `frame/${encodeURIComponent(cam.name)}.jpg?n=${cam.frame}`;
      shown[cam.name] = cam.frame;
    }
    tile.querySelector('.caption').innerHTML = `<b>${cam.name}</b> frame ${cam.frame} `
      + `at ${cam.time_s.toFixed(1)} s, ${cam.boxes} box(es)`
      + (cam.problem ? ` <span class="problem">${cam.problem}</span>` : '');
  }
  const ids = document.getElementById('identities');
  ids.innerHTML = '';
  for (const who of state.identities)
    item(ids, 'identity', `<span class="swatch" style="background:${who.colour}"></span>`
         + `${who.global_id}: ${who.camera} at ${who.last_seen_s.toFixed(1)} s`,
         {'data-id': who.global_id, 'data-camera': who.camera});
  document.getElementById('count').textContent = state.identities.length;
  const events = document.getElementById('events');
  events.innerHTML = '';
  for (const e of state.events) item(events, 'event', `${e.event} ${e.text}`);
}
refresh(); setInterval(refresh, 500);
</script></body></html>
'''


class LiveView:
    """The page of a live run, served at ``url`` from a thread (``host``, ``port``; port 0:
    any free one) until :meth:`close`."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):       # no line per request
                pass

        self._lock = threading.Lock()
        self._cameras: dict[str, dict] = {}
        self._identities: list[dict] = []
        self._events: list[dict] = []
        self.running = False
        self._server = make_server(host, port, self._app, threaded=True, request_handler=Quiet)
        self.url = f'http://{host}:{self._server.server_port}/'
        self._thread = threading.Thread(target=self._server.serve_forever, name='live-view',
                                        daemon=True)
        self._thread.start()

    def start(self, cameras: list[str]) -> None:
        """A run of ``cameras`` begins."""
        with self._lock:
            self.running = True
            self._cameras = {name: {'name': name, 'frame': 0, 'time_s': 0.0, 'boxes': 0,
                                    'problem': '', 'image': None, 'drawn': None,
                                    'tracks': Boxes.empty()} for name in cameras}

    def show_frame(self, camera: str, number: int, time_s: float, image: np.ndarray,
                   boxes: Boxes) -> None:
        """``camera``'s latest frame and its tracked ``boxes`` (ids: global, 0 undecided)."""
        with self._lock:
            self._cameras[camera].update(frame=number, time_s=time_s, image=image, drawn=None,
                                         tracks=boxes, boxes=len(boxes))

    def show_identities(self, gallery) -> None:
        """The active identities of an :class:`~posereid.tracking.live.OnlineIdentities`."""
        rows = sorted(gallery.identities.items(), key=lambda item: -item[1].last_seen_s)
        listed = [{'global_id': identity, 'camera': mine.camera,
                   'last_seen_s': mine.last_seen_s,
                   'colour': 'rgb({}, {}, {})'.format(*identity_colour(identity))}
                  for identity, mine in rows]
        with self._lock:
            self._identities = listed

    def show_event(self, event: dict) -> None:
        """An event of the run (the camera's problems are shown on its tile)."""
        text = event.get('message') or ' '.join(
            f'{key} {event[key]}' for key in ('camera', 'global_id', 'merged_id')
            if key in event)
        with self._lock:
            self._events = [{'event': event['event'], 'text': text}] + \
                self._events[:RECENT_EVENTS - 1]
            if 'message' in event and event.get('camera') in self._cameras:
                self._cameras[event['camera']]['problem'] = event['message']

    def finish(self, summary: dict) -> None:
        """The run stopped (the page says so; the last frames stay)."""
        with self._lock:
            self.running = False

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def state(self) -> dict:
        """What ``/state.json`` answers."""
        with self._lock:
            cameras = [{key: camera[key] for key in ('name', 'frame', 'time_s', 'boxes',
                                                      'problem')}
                       for camera in self._cameras.values()]
            return {'running': self.running, 'cameras': cameras,
                    'identities': list(self._identities), 'events': list(self._events)}

    def frame_jpeg(self, camera: str) -> bytes | None:
        """The JPEG of ``camera``'s latest frame with its boxes (drawn once per frame)."""
        with self._lock:
            mine = self._cameras.get(camera)
            if mine is None or mine['image'] is None:
                return None
            if mine['drawn'] is None:
                mine['drawn'] = encode_jpeg(draw_identity_boxes(mine['image'], mine['tracks']),
                                            quality=80).tobytes()
            return mine['drawn']

    def _app(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        path = Request(environ).path
        if path == '/':
            response = Response(PAGE, mimetype='text/html')
        elif path == '/state.json':
            response = Response(json.dumps(self.state()), mimetype='application/json')
        elif path.startswith('/frame/') and path.endswith('.jpg'):
            data = self.frame_jpeg(path[len('/frame/'):-len('.jpg')])
            response = Response(data, mimetype='image/jpeg') if data is not None else \
                Response('no frame yet', status=404)
        else:
            response = Response('not found', status=404)
        response.headers['Cache-Control'] = 'no-store'
        return response(environ, start_response)
