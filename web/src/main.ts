import './components/ra-app.ts';
