// Initialises every NHS.UK frontend component on the page (header menu, skip link, buttons,
// error summary, notification banners, password inputs), and the portal's conditional reveals.
// Loaded as a module from the same origin.
import { initAll } from '../nhsuk/nhsuk/nhsuk-frontend.min.js'
import { initConditionalReveals } from './conditional-reveal.js'

initAll()
initConditionalReveals()
