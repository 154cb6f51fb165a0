// Haven's counselor console: the queue, status, take next, several chats side by side, the team,
// and (for a supervisor) every live chat. The queue and the chats are pushed over the live socket
// (console/live.js); this file renders them. Text is only ever set with textContent (never
// innerHTML); every POST carries the session's CSRF token. Every text comes from the page's
// #console-texts (content/languages/<language>/console.yml).
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="haven-csrf"]').getAttribute('content');
  var TEXTS = JSON.parse(document.getElementById('console-texts').textContent);
  var NOTICES = {
    handoff_joined: 'notice_joined',
    handoff_back_to_bot: 'notice_back_to_bot',
    handoff_ended: 'notice_ended',
    left: 'notice_left',
    transferred: 'notice_transferred',
    supervisor_joined: 'notice_supervisor_joined'
  };
  var SPEAKERS = { young_person: 'young_person_said', haven: 'haven_said', counselor: 'counselor_said' };
  var panels = {}; // request id -> the open chat panel
  var unread = {}; // request id -> messages not seen yet
  var state = null; // the last state the server sent
  var seenQueue = null; // request id -> risk, of the queue already shown (null: not yet)
  var panelCount = 0;

  // A text of console.yml with its {placeholders} filled in (plain text, for textContent).
  function t(key, values) {
    return (TEXTS[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: 'same-origin', headers: {} };
    if (method === 'POST') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = csrf;
      options.body = JSON.stringify(body || {});
    }
    return fetch('/counselor/api/' + path, options).then(function (reply) {
      if (reply.status === 401) { window.location.reload(); }
      return reply.json().then(function (data) { data.status = reply.status; return data; });
    });
  }

  function chatPath(id, action) {
    return 'chats/' + encodeURIComponent(id) + (action ? '/' + action : '');
  }

  function describe(item) {
    var parts = [];
    if (item.needs_support) { parts.push(t('needs_support_tag')); }
    if (item.risk) { parts.push(t('summary_risk')); }
    parts.push(t('summary_waiting', { minutes: item.waiting_minutes }));
    if (item.shared) {
      var steps = (item.steps_done || []).map(function (step) {
        return TEXTS['step_' + step] || step;
      });
      parts.push(t('summary_language', { language: item.language || t('summary_unknown') }));
      parts.push(t('summary_region', { region: item.region || t('summary_unknown') }));
      parts.push(t(item.age_band === 'adult' ? 'summary_adult' : 'summary_minor'));
      parts.push(t('summary_steps_done', { steps: steps.join(', ') || t('summary_no_steps') }));
    } else {
      parts.push(t('summary_not_shared'));
    }
    return parts.join(' · ');
  }

  function card(item, label, onClick, extra) {
    var li = el('li', null, item.risk || item.needs_support ? 'risk' : '');
    li.dataset.id = item.id;
    li.appendChild(el('p', (extra ? extra + ' · ' : '') + describe(item)));
    if (unread[item.id]) { li.appendChild(el('p', t('unread', { count: unread[item.id] }), 'tag unread')); }
    var button = el('button', label);
    button.type = 'button';
    button.addEventListener('click', onClick);
    li.appendChild(button);
    return li;
  }

  function say(text) {
    document.getElementById('console-status').textContent = text || '';
  }

  function warn(text) {
    document.getElementById('console-alert').textContent = text || '';
  }

  // --- the state: queue, my chats, live chats, the team -----------------------------------

  function alertNewRequests(queue) {
    var now = {};
    var fresh = null;
    queue.forEach(function (item) {
      now[item.id] = item.risk;
      var isNew = seenQueue !== null && !Object.prototype.hasOwnProperty.call(seenQueue, item.id);
      var becameRisky = seenQueue !== null && item.risk && seenQueue[item.id] === false;
      if ((isNew || becameRisky) && (fresh === null || item.risk)) { fresh = item; }
    });
    seenQueue = now;
    if (fresh === null) { return; }
    var text = t(fresh.risk ? 'alert_risk' : 'alert_new');
    warn(text);
    window.HavenLive.alert(fresh.risk ? 'risk' : 'request', text);
  }

  function render(next) {
    if (!next || !next.queue) { return; }
    state = next;
    alertNewRequests(next.queue);
    var queue = document.getElementById('queue');
    var chats = document.getElementById('chats');
    var live = document.getElementById('live');
    queue.replaceChildren();
    chats.replaceChildren();
    live.replaceChildren();
    next.queue.forEach(function (item) {
      queue.appendChild(card(item, t('claim'), function () { claim(item.id); }));
    });
    if (!next.queue.length) { queue.appendChild(el('li', t('queue_empty'))); }
    next.chats.forEach(function (item) {
      chats.appendChild(card(item, t('open'), function () { openPanel(item.id); }));
    });
    if (!next.chats.length) { chats.appendChild(el('li', t('my_chats_empty'))); }
    document.getElementById('supervision').hidden = !next.supervisor;
    (next.live || []).forEach(function (item) {
      live.appendChild(card(item, t('view'), function () { openPanel(item.id); },
        t('with_counselor', { name: item.counselor })));
    });
    if (next.supervisor && !(next.live || []).length) { live.appendChild(el('li', t('live_chats_empty'))); }
    var status = document.getElementById('my-status');
    if (document.activeElement !== status) { status.value = next.status; }
    renderTeam(next.colleagues || []);
    Object.keys(panels).forEach(function (id) {
      var mine = next.chats.some(function (c) { return c.id === id; });
      var watched = (next.live || []).some(function (c) { return c.id === id; });
      // A panel opened a moment ago may not be in this state yet: only one that was closes.
      if (mine || watched) { panels[id].listed = true; } else if (panels[id].listed) { closePanel(id); return; }
      fillTransfer(panels[id]);
    });
  }

  function renderTeam(colleagues) {
    var team = document.getElementById('colleagues');
    team.replaceChildren();
    colleagues.forEach(function (c) {
      team.appendChild(el('li', t('colleague', {
        name: c.name, status: t('status_' + c.status), chats: c.chats, max: c.max_chats
      })));
    });
    if (!colleagues.length) { team.appendChild(el('li', t('colleagues_empty'))); }
  }

  function refresh() {
    return api('GET', 'state').then(render);
  }

  // --- actions ----------------------------------------------------------------------------

  function claimed(reply) {
    if (reply.id) { openPanel(reply.id); return; }
    say(reply.message || t('claim_gone'));
    refresh();
  }

  function claim(id) {
    say('');
    api('POST', 'claim', { id: id }).then(claimed);
  }

  document.getElementById('take-next').addEventListener('click', function () {
    say('');
    api('POST', 'take_next').then(claimed);
  });

  document.getElementById('my-status').addEventListener('change', function (event) {
    api('POST', 'status', { status: event.target.value });
  });

  document.getElementById('alerts-on').addEventListener('click', function (event) {
    window.HavenLive.enableAlerts();
    event.target.setAttribute('aria-pressed', 'true');
    say(t('alerts_enabled'));
  });

  // --- chat panels, side by side ----------------------------------------------------------

  function openPanel(id) {
    if (panels[id]) { panels[id].node.querySelector('.text').focus(); return; }
    panelCount += 1;
    var node = document.getElementById('panel-template').content.firstElementChild.cloneNode(true);
    var panel = { id: id, node: node, last: 0, canWrite: false, mine: false, listed: false, sent: {} };
    var textId = 'text-' + panelCount;
    var toId = 'to-' + panelCount;
    var titleId = 'chat-title-' + panelCount;
    node.dataset.id = id;
    node.setAttribute('aria-labelledby', titleId);
    node.querySelector('.chat-title').id = titleId;
    // Each panel a name of its own (side by side, screen readers tell them apart).
    node.querySelector('.chat-title').prepend(document.createTextNode(t('chat_title') + ' ' + panelCount + ' '));
    node.querySelector('.text').id = textId;
    node.querySelector('.text-label').setAttribute('for', textId);
    node.querySelector('.canned').id = 'canned-' + panelCount;
    node.querySelector('.canned-label').setAttribute('for', 'canned-' + panelCount);
    node.querySelector('.to').id = toId;
    node.querySelector('.to-label').setAttribute('for', toId);
    var tags = node.querySelector('.tags');
    ((state && state.tags) || []).forEach(function (tag, index) {
      var label = el('label');
      var box = el('input');
      box.type = 'checkbox';
      box.value = tag;
      box.id = 'tag-' + panelCount + '-' + index;
      label.setAttribute('for', box.id);
      label.appendChild(box);
      label.appendChild(document.createTextNode(t('tag_' + tag)));
      tags.appendChild(label);
    });
    tags.hidden = !tags.querySelector('input');
    wirePanel(panel);
    panels[id] = panel;
    unread[id] = 0;
    document.getElementById('panels').appendChild(node);
    fillTransfer(panel);
    catchUp(panel);
    if (state) { render(state); }
  }

  function wirePanel(panel) {
    var node = panel.node;
    var id = panel.id;
    node.querySelector('.send').addEventListener('submit', function (event) {
      event.preventDefault();
      var box = node.querySelector('.text');
      if (!box.value.trim()) { return; }
      api('POST', chatPath(id, 'send'), { text: box.value }).then(function (reply) {
        if (!reply.ok) { return; }
        box.value = '';
        // Shown with its delivery (pushed on the live socket); caught up if that is away.
        if (reply.n > panel.last) { catchUp(panel); }
      });
    });
    node.querySelector('.resources').addEventListener('click', function () {
      api('GET', chatPath(id, 'resources')).then(function (reply) {
        var box = node.querySelector('.text');
        box.value = (box.value ? box.value + '\n\n' : '') + (reply.text || '');
        box.focus();
      });
    });
    node.querySelector('.insert-canned').addEventListener('click', function () {
      var select = node.querySelector('.canned');
      var chosen = (panel.canned || [])[select.selectedIndex];
      if (!chosen) { return; }
      var box = node.querySelector('.text');
      box.value = (box.value ? box.value + '\n\n' : '') + chosen.text;
      box.focus();
    });
    node.querySelector('.support').addEventListener('click', function () {
      api('POST', chatPath(id, 'support')).then(function (reply) {
        if (reply.ok) { say(t('support_asked')); }
      });
    });
    node.querySelector('.hand-back').addEventListener('click', function () { finish(panel, 'hand_back'); });
    node.querySelector('.end').addEventListener('click', function () { finish(panel, 'end'); });
    node.querySelector('.close-panel').addEventListener('click', function () { closePanel(id); });
    node.querySelector('.transfer-button').addEventListener('click', function () {
      var to = node.querySelector('.to').value;
      if (!to) { return; }
      api('POST', chatPath(id, 'transfer'), { to: to }).then(function (reply) {
        if (reply.ok) { closePanel(id); refresh(); } else { say(reply.message || ''); }
      });
    });
    node.querySelector('.join').addEventListener('click', function () {
      api('POST', chatPath(id, 'join')).then(function (reply) {
        if (reply.id) { catchUp(panel); }
      });
    });
    node.addEventListener('focusin', function () { markRead(id); });
  }

  function fillTransfer(panel) {
    var select = panel.node.querySelector('.to');
    var chosen = select.value;
    select.replaceChildren();
    ((state && state.colleagues) || []).forEach(function (c) {
      var option = el('option', c.name);
      option.value = c.name;
      select.appendChild(option);
    });
    select.value = chosen;
    if (select.selectedIndex < 0 && select.options.length) { select.selectedIndex = 0; }
    panel.node.querySelector('.transfer').hidden = !panel.mine || !select.options.length;
  }

  function catchUp(panel) {
    var id = panel.id;
    return api('GET', chatPath(id) + '?after=' + panel.last).then(function (chat) {
      if (panels[id] !== panel) { return; }
      if (chat.status !== 200) { closePanel(id); return; }
      var node = panel.node;
      var mine = state && state.counselor === chat.counselor;
      panel.canWrite = !!chat.can_write;
      panel.mine = !!mine;
      node.querySelector('.chat-summary').textContent = (mine ? '' :
        t('with_counselor', { name: chat.counselor }) + ' · ') + describe(chat.summary);
      node.querySelector('.send').hidden = !panel.canWrite;
      node.querySelector('.read-only').hidden = panel.canWrite;
      // Only the chat's own counselor ends it, hands it back or gives it away.
      ['.hand-back', '.end', '.support', '.tags'].forEach(function (part) {
        node.querySelector(part).hidden = !mine || (part === '.tags' && !node.querySelector('.tags input'));
      });
      fillTransfer(panel);
      if (panel.canWrite && !panel.canned) { loadCanned(panel); }
      chat.messages.forEach(function (message) { show(panel, message); });
      typingDots(panel, chat.typing === true);
    });
  }

  // Canned responses in the young person's language, help lines filled for their region.
  function loadCanned(panel) {
    panel.canned = [];
    api('GET', chatPath(panel.id, 'canned')).then(function (reply) {
      panel.canned = reply.canned || [];
      var select = panel.node.querySelector('.canned');
      select.replaceChildren();
      panel.canned.forEach(function (entry) {
        var option = el('option', entry.label);
        option.value = entry.key;
        select.appendChild(option);
      });
    });
  }

  function closePanel(id) {
    var panel = panels[id];
    if (!panel) { return; }
    delete panels[id];
    panel.node.remove();
  }

  function finish(panel, action) {
    var tags = [];
    panel.node.querySelectorAll('.tags input:checked').forEach(function (box) { tags.push(box.value); });
    api('POST', chatPath(panel.id, action), { tags: tags }).then(function () {
      closePanel(panel.id);
      refresh();
    });
  }

  function markRead(id) {
    if (!unread[id]) { return; }
    unread[id] = 0;
    if (panels[id]) { panels[id].node.querySelector('.badge').textContent = ''; }
    if (state) { render(state); }
  }

  // The chat before you joined, sent from the young person's page because they said yes.
  // Shown here only, never saved; plain text (textContent), like every message.
  function transcriptItem(message) {
    var item = el('li', null, 'transcript');
    var items = message.items || [];
    item.appendChild(el('p', t(items.length ? 'transcript_shared' : 'transcript_empty'), 'hint'));
    var earlier = el('ol');
    items.forEach(function (entry) {
      var speaker = SPEAKERS[entry.from] ? t(SPEAKERS[entry.from]) + ' ' : '';
      earlier.appendChild(el('li', speaker + entry.text, 'earlier'));
    });
    item.appendChild(earlier);
    return item;
  }

  // A counselor's message the young person did not get: said in plain words, with a button to
  // send it again for the chat's own counselor (haven/handoff/relay.py: never shown as sent when
  // it was not). Sent again and delivered, the mark goes, in every console showing the chat.
  function markDelivery(panel, message) {
    var item = panel.sent[message.n];
    if (!item) { return; }
    var mark = item.querySelector('.not-delivered');
    if (message.delivered !== false) {
      if (mark) { mark.remove(); }
      return;
    }
    if (mark) { return; }
    mark = el('span', null, 'not-delivered');
    mark.appendChild(el('span', ' ' + t('not_delivered') + ' ', 'tag'));
    if (panel.canWrite) {
      var again = el('button', t('send_again'), 'send-again');
      again.type = 'button';
      again.addEventListener('click', function () {
        again.disabled = true;
        api('POST', chatPath(panel.id, 'send'), { again: message.n }).then(function (reply) {
          again.disabled = false;
          if (reply.ok) { markDelivery(panel, { n: message.n, delivered: reply.delivered }); }
        });
      });
      mark.appendChild(again);
    }
    item.appendChild(mark);
  }

  function show(panel, message) {
    if (message.n <= panel.last) { // already shown (pushed and caught up), or delivered since
      if (message.from === 'counselor') { markDelivery(panel, message); }
      return false;
    }
    panel.last = message.n;
    var list = panel.node.querySelector('.messages');
    if (message.from === 'transcript') {
      list.appendChild(transcriptItem(message));
      return true;
    }
    var notice = message.from === 'notice' && NOTICES[message.text];
    var text = notice ? t(notice) : message.text;
    var who = message.from === 'young_person' ? t('young_person_said') + ' '
      : message.from === 'counselor' ? t('counselor_said') + ' ' : '';
    var item = el('li', who + text, message.from + (message.risk ? ' urgent' : ''));
    if (message.risk) { item.prepend(el('span', t('crisis_words') + ' ', 'tag')); }
    list.appendChild(item);
    if (message.from === 'counselor') {
      panel.sent[message.n] = item;
      markDelivery(panel, message);
    }
    list.scrollTop = list.scrollHeight;
    return true;
  }

  // Typing dots both ways, per panel: whether the young person is typing (pushed as `typing`,
  // and in the chat's state), and telling the young person's widget when the counselor types (at
  // most every 3 s; off on send).
  function typingDots(panel, youngPersonTyping) {
    var shown = panel.node.querySelector('.young-person-typing');
    if (!shown) {
      shown = el('p', t('young_person_typing'), 'hint young-person-typing');
      shown.setAttribute('aria-live', 'polite');
      panel.node.querySelector('.messages').after(shown);
      var sent = 0;
      panel.node.querySelector('.text').addEventListener('input', function () {
        if (!panel.canWrite || Date.now() - sent < 3000) { return; }
        sent = Date.now();
        api('POST', chatPath(panel.id, 'typing'), { typing: true });
      });
      panel.node.querySelector('.send').addEventListener('submit', function () { sent = 0; });
    }
    shown.hidden = !youngPersonTyping;
  }

  function onTyping(data) {
    var panel = panels[data.id];
    if (panel) { typingDots(panel, data.typing === true); }
  }

  // --- what the live socket pushes --------------------------------------------------------

  function onMessage(data) {
    var panel = panels[data.id];
    var message = data.message || {};
    var fromYoungPerson = message.from === 'young_person';
    if (panel) {
      if (message.n > panel.last + 1) { catchUp(panel); return; } // one was missed: ask
      if (!show(panel, message)) { return; }
      if (message.from === 'notice') { catchUp(panel); }
      if (!fromYoungPerson || (!document.hidden && panel.node.contains(document.activeElement))) {
        return;
      }
    } else if (!fromYoungPerson) {
      return;
    }
    unread[data.id] = (unread[data.id] || 0) + 1;
    if (panel) { panel.node.querySelector('.badge').textContent = t('unread', { count: unread[data.id] }); }
    if (state) { render(state); }
    window.HavenLive.alert('chat', t('unread', { count: unread[data.id] }));
  }

  function onSupport(data) {
    var text = t('alert_support', { name: data.counselor });
    warn(text);
    window.HavenLive.alert('support', text);
  }

  function onTransferred(data) {
    var text = t('alert_transferred', { name: data.from });
    warn(text);
    window.HavenLive.alert('request', text);
    refresh().then(function () { openPanel(data.id); });
  }

  function onOnline(connected) {
    document.body.dataset.live = connected ? 'on' : 'off';
    if (!connected) { say(t('live_offline')); return; }
    say('');
    refresh(); // what changed while the socket was away
    Object.keys(panels).forEach(function (id) { catchUp(panels[id]); });
  }

  function fallback() {
    refresh();
    Object.keys(panels).forEach(function (id) { catchUp(panels[id]); });
  }

  refresh();
  window.HavenLive.connect({
    state: render,
    message: onMessage,
    support: onSupport,
    transferred: onTransferred,
    typing: onTyping,
    online: onOnline,
    fallback: fallback
  });
}());
