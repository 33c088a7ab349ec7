// Renderers of the overview's optional sections by their testid (org.js: layers, systems).
// A section without one shows the API answer as a generic table (overview.js).
const sectionViews = new Map();  // section testid -> (data, {unit, units, reload}) => Node

export function registerSection(testid, view) { sectionViews.set(testid, view); }
export const sectionView = (testid) => sectionViews.get(testid);
