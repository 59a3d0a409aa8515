// Radios and checkboxes that reveal further fields while checked: the input names the revealed
// element in data-reveals="<id>". NHS.UK frontend's own reveal (data-aria-controls) also marks
// the input aria-expanded, which ARIA does not allow on a radio or checkbox; here the revealed
// fields simply follow their option, where a screen reader comes to them next.

function hiddenClass (input) {
  return input.type === 'checkbox' ? 'nhsuk-checkboxes__conditional--hidden' : 'nhsuk-radios__conditional--hidden'
}

function sync (inputs) {
  for (const input of inputs) {
    const revealed = document.getElementById(input.dataset.reveals)
    // Fields with an error stay in view, whatever is checked, so the error summary's link finds them.
    const hide = !input.checked && !revealed?.querySelector('.nhsuk-form-group--error')
    if (revealed) revealed.classList.toggle(hiddenClass(input), hide)
  }
}

export function initConditionalReveals (root = document) {
  const inputs = [...root.querySelectorAll('input[data-reveals]')]
  if (!inputs.length) return
  sync(inputs)
  // Checking one radio unchecks the others of its name without an event of theirs: sync them all.
  root.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && (event.target.type === 'radio' || event.target.dataset.reveals)) {
      sync(inputs)
    }
  })
}
