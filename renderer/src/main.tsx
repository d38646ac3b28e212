import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api.ts';
import { App } from './App.tsx';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
const api = await connect();
createRoot(root).render(
  <StrictMode>
    {'error' in api ? (
      <main className="center">
        <h1>Synod</h1>
        <p role="alert">{api.error}</p>
      </main>
    ) : (
      <App api={api} />
    )}
  </StrictMode>,
);
