// The SafeMesh console page: polls the gateway's JSON API (same origin) and renders it with
// textContent only, so nothing an app or a node sends can become markup. The owner's secret and
// password are sent once in the login request and dropped: the session is an HttpOnly cookie.

const POLL_MS = 1000
const ACCOUNT_MS = 10_000

const $ = (id) => document.getElementById(id)

/** A JSON call to the gateway; failures throw with the SPEC code the gateway gave. */
async function api (path, { method = 'GET', body } = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } }
  if (method !== 'GET') {
    // The gateway only lets a same-origin JSON request act.
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body ?? {})
  }
  const res = await fetch(path, init)
  const data = await res.json().catch(() => undefined)
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? `the gateway answered HTTP ${res.status}`)
    err.code = data?.error?.code
    err.status = res.status
    throw err
  }
  return data
}

function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue
    if (key === 'className') node.className = value
    else if (key === 'text') node.textContent = value
    else if (key.startsWith('data-') || key === 'title' || key === 'type') node.setAttribute(key, value)
    else node[key] = value
  }
  for (const child of children) if (child != null) node.append(child)
  return node
}

let noticeTimer
function notice (text, kind = 'info') {
  const box = $('notice')
  box.textContent = text
  box.dataset.kind = kind
  box.hidden = false
  clearTimeout(noticeTimer)
  noticeTimer = setTimeout(() => { box.hidden = true }, kind === 'error' ? 10_000 : 5000)
}

function formatBytes (n) {
  if (n === undefined) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

function formatRate (r) {
  if (r === undefined) return '—'
  return r < 10 ? r.toFixed(1) : Math.round(r).toString()
}

function formatSince (iso) {
  if (iso === undefined) return '—'
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86400)} d`
}

const shortPeer = (id) => id === undefined ? '—' : id.length > 18 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
const STATE_TEXT = { up: 'up', down: 'down', unresponsive: 'not answering' }

// ---- Nodes -------------------------------------------------------------------------------------

/** The peers of the close group last shown: their rows are highlighted. */
let groupPeers = new Set()

function renderNodes (snapshot) {
  const body = $('nodes-body')
  const nodes = snapshot.nodes ?? []
  const note = $('nodes-note')
  note.hidden = nodes.length > 0
  note.textContent = snapshot.note ?? (nodes.length === 0 ? 'The testnet has no nodes.' : '')
  $('nodes-table').hidden = nodes.length === 0
  if (snapshot.testnet !== undefined) {
    const up = nodes.filter(n => n.state === 'up').length
    $('nodes-summary').textContent = `${up} of ${nodes.length} up · G = ${snapshot.testnet.groupSize} · ${snapshot.testnet.dir}`
  } else {
    $('nodes-summary').textContent = ''
  }
  const rows = new Map([...body.children].map(tr => [tr.dataset.nodeIndex, tr]))
  for (const node of nodes) {
    const key = String(node.index)
    let tr = rows.get(key)
    if (tr === undefined) {
      tr = el('tr', { 'data-node-index': key })
      for (let i = 0; i < 8; i++) tr.append(el('td'))
      for (const i of [3, 4, 5, 6, 7]) tr.children[i].className = 'num'
      body.append(tr)
    }
    rows.delete(key)
    tr.dataset.state = node.state
    tr.dataset.peerId = node.peerId ?? ''
    tr.dataset.inGroup = String(node.peerId !== undefined && groupPeers.has(node.peerId))
    const cells = tr.children
    cells[0].textContent = key
    cells[1].replaceChildren(el('span', { className: 'badge', 'data-state': node.state, text: STATE_TEXT[node.state] ?? node.state }))
    cells[2].replaceChildren(el('code', { text: shortPeer(node.peerId), title: node.peerId }))
    const up = node.state !== 'down'
    cells[3].textContent = up && node.routingTableSize !== undefined ? String(node.routingTableSize) : '—'
    cells[4].textContent = up && node.storedItems !== undefined ? String(node.storedItems) : '—'
    cells[5].textContent = up ? formatBytes(node.storedBytes) : '—'
    cells[6].textContent = up ? formatRate(node.requestsPerSecond) : '—'
    cells[7].textContent = up ? formatSince(node.startedAt) : '—'
  }
  for (const tr of rows.values()) tr.remove()
}

function setGateway (ok, err) {
  const pill = $('gateway-status')
  pill.dataset.state = ok ? 'ok' : 'error'
  pill.textContent = ok ? 'gateway connected' : `gateway unreachable${err?.message ? `: ${err.message}` : ''}`
}

async function pollNodes () {
  try {
    renderNodes(await api('/api/nodes'))
    setGateway(true)
  } catch (err) {
    setGateway(false, err)
  } finally {
    setTimeout(pollNodes, POLL_MS)
  }
}

// ---- Close group -------------------------------------------------------------------------------

async function showCloseGroup (event) {
  event.preventDefault()
  const name = $('close-group-name').value.trim()
  if (name === '') return
  const button = $('close-group-submit')
  button.disabled = true
  try {
    const group = await api(`/api/close-group/${encodeURIComponent(name)}`)
    const result = $('close-group-result')
    result.hidden = false
    result.dataset.hex = group.hex
    result.dataset.name = group.name
    result.dataset.nodeIndex = String(group.node.index)
    $('close-group-hex').textContent = group.hex
    $('close-group-source').textContent = `${group.hashed ? 'SHA3-256 of the text' : 'the name as typed'} · computed by node ${group.node.index} · ${group.closeGroup.length} members, closest first`
    $('close-group-members').replaceChildren(...group.closeGroup.map(m => el('li', { 'data-peer-id': m.peerId },
      el('span', { className: m.index !== undefined ? 'node-tag' : 'node-tag outside', text: m.index !== undefined ? `node ${m.index}` : 'elsewhere' }),
      el('code', { text: shortPeer(m.peerId), title: m.peerId }))))
    groupPeers = new Set(group.closeGroup.map(m => m.peerId))
    for (const tr of $('nodes-body').children) tr.dataset.inGroup = String(groupPeers.has(tr.dataset.peerId))
  } catch (err) {
    notice(`Close group: ${err.message}`, 'error')
  } finally {
    button.disabled = false
  }
}

// ---- Session and account -----------------------------------------------------------------------

let loggedIn = false
let accountTimer
let requestsTimer

function showLoggedIn (account) {
  loggedIn = true
  $('login-form').hidden = true
  $('account-panel').hidden = false
  $('account-name').textContent = account
  $('account-name').title = account
  $('requests-empty').textContent = 'No app is asking for access.'
  void refreshAccount()
  void pollRequests()
}

function showLoggedOut () {
  loggedIn = false
  clearTimeout(accountTimer)
  clearTimeout(requestsTimer)
  $('login-form').hidden = false
  $('account-panel').hidden = true
  $('requests-list').replaceChildren()
  $('requests-count').hidden = true
  $('requests-empty').hidden = false
  $('requests-empty').textContent = 'Log in to see the apps asking for access.'
}

async function login (event) {
  event.preventDefault()
  const secretInput = $('login-secret')
  const passwordInput = $('login-password')
  const secret = secretInput.value
  const password = passwordInput.value
  // Out of the page at once: nothing keeps them but this one request.
  secretInput.value = ''
  passwordInput.value = ''
  const button = $('login-submit')
  button.disabled = true
  button.textContent = 'Logging in…'
  try {
    const session = await api('/api/session', { method: 'POST', body: { secret, password } })
    showLoggedIn(session.account)
    notice('Logged in.', 'ok')
  } catch (err) {
    notice(err.code === 'InvalidCredentials' ? 'Wrong secret or password.' : `Login failed: ${err.message}`, 'error')
  } finally {
    button.disabled = false
    button.textContent = 'Log in'
  }
}

async function logout () {
  try {
    await api('/api/session', { method: 'DELETE' })
  } catch (err) {
    notice(`Logout failed: ${err.message}`, 'error')
  }
  showLoggedOut()
}

function renderApps (apps) {
  $('apps-empty').hidden = apps.length > 0
  $('apps-list').replaceChildren(...apps.map(a => el('li', { 'data-app': a.app, 'data-authorised': String(a.authorised) },
    el('div', {}, el('strong', { text: a.app }), a.authorised ? null : el('span', { className: 'state', text: ' (key not authorised)' })),
    el('div', { className: 'grants', text: grantsText(a.containers) }))))
}

function grantsText (containers, own) {
  const parts = containers.map(c => `${c.name}: ${c.access.join(', ')}`)
  if (own === true) parts.push('its own container')
  return parts.length > 0 ? parts.join(' · ') : 'no containers'
}

async function refreshAccount () {
  clearTimeout(accountTimer)
  if (!loggedIn) return
  try {
    const account = await api('/api/account')
    $('mutations-left').textContent = String(account.mutationsAvailable)
    $('mutations-done').textContent = String(account.mutationsDone)
    renderApps(account.apps)
  } catch (err) {
    if (err.status === 401) return showLoggedOut()
    notice(`Account: ${err.message}`, 'error')
  }
  if (loggedIn) accountTimer = setTimeout(refreshAccount, ACCOUNT_MS)
}

// ---- App requests ------------------------------------------------------------------------------

/** Requests whose answer this page is sending: their buttons stay disabled until it returns. */
const answering = new Set()

function renderRequests (requests) {
  const list = $('requests-list')
  $('requests-empty').hidden = requests.length > 0
  $('requests-count').hidden = requests.length === 0
  $('requests-count').textContent = String(requests.length)
  const target = window.location.hash.startsWith('#request-') ? window.location.hash.slice('#request-'.length) : undefined
  const items = new Map([...list.children].map(li => [li.dataset.requestId, li]))
  for (const r of requests) {
    let li = items.get(r.id)
    if (li === undefined) {
      li = el('li', { 'data-request-id': r.id, 'data-app': r.app },
        el('div', {}, el('span', { className: 'app-name', text: r.app }), el('span', { className: 'code', title: 'the code the app shows', text: r.code }), el('span', { className: 'state' })),
        el('div', { className: 'grants', text: `asks for ${grantsText(r.containers, r.ownContainer)}` }),
        el('div', { className: 'actions' },
          el('button', { type: 'button', className: 'approve', 'data-action': 'approve', text: 'Approve' }),
          el('button', { type: 'button', className: 'deny', 'data-action': 'deny', text: 'Deny' })))
      if (r.id === target) li.classList.add('targeted')
      list.append(li)
    }
    items.delete(r.id)
    const busy = r.status === 'approving' || answering.has(r.id)
    li.dataset.status = r.status
    li.querySelector('.state').textContent = r.status === 'approving' ? 'approving…' : ''
    for (const button of li.querySelectorAll('button')) button.disabled = busy
  }
  for (const li of items.values()) if (!answering.has(li.dataset.requestId)) li.remove()
}

async function pollRequests () {
  clearTimeout(requestsTimer)
  if (!loggedIn) return
  try {
    renderRequests((await api('/api/app-requests')).requests)
  } catch (err) {
    if (err.status === 401) return showLoggedOut()
  }
  if (loggedIn) requestsTimer = setTimeout(pollRequests, POLL_MS)
}

async function answer (event) {
  const button = event.target.closest('button[data-action]')
  if (button === null) return
  const li = button.closest('li[data-request-id]')
  const id = li.dataset.requestId
  const action = button.dataset.action
  answering.add(id)
  for (const b of li.querySelectorAll('button')) b.disabled = true
  li.querySelector('.state').textContent = action === 'approve' ? 'approving…' : 'denying…'
  try {
    const result = await api(`/api/app-requests/${encodeURIComponent(id)}/${action}`, { method: 'POST' })
    li.remove()
    notice(action === 'approve' ? `Approved ${result.app}: it has its credentials now.` : `Denied ${li.dataset.app}.`, 'ok')
    if (action === 'approve') void refreshAccount()
  } catch (err) {
    li.querySelector('.state').textContent = ''
    for (const b of li.querySelectorAll('button')) b.disabled = false
    notice(`${action === 'approve' ? 'Approving' : 'Denying'} ${li.dataset.app} failed: ${err.message}`, 'error')
  } finally {
    answering.delete(id)
  }
}

// ---- Start -------------------------------------------------------------------------------------

async function start () {
  $('close-group-form').addEventListener('submit', showCloseGroup)
  $('login-form').addEventListener('submit', login)
  $('logout-button').addEventListener('click', logout)
  $('requests-list').addEventListener('click', answer)
  void pollNodes()
  try {
    showLoggedIn((await api('/api/session')).account)
  } catch {
    showLoggedOut()
  }
}

void start()
