// Type-ahead for the registration's organisation search. The page works without it: the search
// form lists the matching organisations. With it, matching open organisations appear as links
// under the field as the user types (from the JSON endpoint in data-search-url), and each link
// goes straight to the registration form (data-choose-url, with __ODS__ replaced by the code).
// A polite live region says how many were found; the arrow keys move between field and links.

const MIN_LENGTH = 2
const DELAY_MS = 250

function enhance (container) {
  const input = container.querySelector('input[type="text"], input[type="search"], input:not([type])')
  const searchUrl = container.dataset.searchUrl
  const chooseUrl = container.dataset.chooseUrl
  if (!input || !searchUrl || !chooseUrl || !window.fetch) return

  const listId = `${input.id}-suggestions`
  const status = document.createElement('p')
  status.className = 'nhsuk-u-visually-hidden'
  status.setAttribute('role', 'status')
  status.setAttribute('aria-live', 'polite')

  const list = document.createElement('ul')
  list.className = 'nhsuk-list nhsuk-list--border'
  list.id = listId
  list.setAttribute('aria-label', 'Suggested organisations')
  list.hidden = true

  container.after(status, list)
  input.setAttribute('autocomplete', 'off')
  input.setAttribute('aria-controls', listId)

  let timer = null
  let controller = null

  function links () {
    return Array.from(list.querySelectorAll('a'))
  }

  function clear (message) {
    list.replaceChildren()
    list.hidden = true
    status.textContent = message || ''
  }

  function show (results) {
    if (!results.length) {
      clear('No open organisations match. Check the spelling or try the ODS code.')
      return
    }
    const items = results.map((organisation) => {
      const item = document.createElement('li')
      const link = document.createElement('a')
      link.className = 'nhsuk-link nhsuk-u-font-weight-bold'
      link.href = chooseUrl.replace('__ODS__', encodeURIComponent(organisation.ods_code))
      link.textContent = organisation.name
      const detail = document.createElement('span')
      detail.className = 'nhsuk-body-s'
      detail.textContent = `ODS code ${organisation.ods_code}${organisation.region ? ` · ${organisation.region}` : ''}`
      item.append(link, document.createElement('br'), detail)
      return item
    })
    list.replaceChildren(...items)
    list.hidden = false
    const count = results.length
    status.textContent = `${count} organisation${count === 1 ? '' : 's'} found. Press the down arrow to choose one.`
  }

  async function search (text) {
    if (controller) controller.abort()
    controller = new AbortController()
    try {
      const url = `${searchUrl}?${new URLSearchParams({ q: text })}`
      const response = await fetch(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        signal: controller.signal
      })
      if (!response.ok) return clear()
      const data = await response.json()
      if (input.value.trim() === text) show(data.results || [])
    } catch (error) {
      if (error.name !== 'AbortError') clear()
    }
  }

  input.addEventListener('input', () => {
    window.clearTimeout(timer)
    const text = input.value.trim().replace(/\s+/g, ' ')
    if (text.length < MIN_LENGTH) {
      if (controller) controller.abort()
      clear()
      return
    }
    timer = window.setTimeout(() => search(text), DELAY_MS)
  })

  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && !list.hidden) {
      event.preventDefault()
      links()[0]?.focus()
    } else if (event.key === 'Escape') {
      clear()
    }
  })

  list.addEventListener('keydown', (event) => {
    const all = links()
    const index = all.indexOf(document.activeElement)
    if (event.key === 'ArrowDown' && index < all.length - 1) {
      event.preventDefault()
      all[index + 1].focus()
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      if (index > 0) all[index - 1].focus()
      else input.focus()
    } else if (event.key === 'Escape') {
      input.focus()
      clear()
    }
  })
}

document.querySelectorAll('[data-module="app-organisation-search"]').forEach(enhance)
